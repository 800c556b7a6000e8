import { useSandbox } from './client'
import { expectRefusal, listrakApi, values } from './listrak-api'

const { current: box, start } = useSandbox()
let api: ReturnType<typeof listrakApi>

beforeEach(async () => {
  await start()
  api = listrakApi(box.sandbox, await box.api.token())
})

const ISO_TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)

const ORDER_CONFIRMATION = {
  transactionalMessageId: 9001,
  transactionalMessageName: 'Order Confirmation',
  campaignId: 0,
  externalCampaignId: '',
  subject: 'Your order is confirmed'
}

describe('transactional messages', () => {
  it("lists a list's transactional messages in Listrak's Collection envelope", async () => {
    expect((await api.get('/List/12345/TransactionalMessage')).json).toEqual({
      status: 200,
      data: [
        ORDER_CONFIRMATION,
        {
          transactionalMessageId: 9002,
          transactionalMessageName: 'Password Reset',
          campaignId: 0,
          externalCampaignId: '',
          subject: 'Reset your password'
        }
      ]
    })
    expect((await api.get('/List/67890/TransactionalMessage')).json).toEqual({ status: 200, data: [] })
  })

  it("answers one transactional message in Listrak's Resource envelope", async () => {
    expect((await api.get('/List/12345/TransactionalMessage/9001')).json).toEqual({
      status: 200,
      data: ORDER_CONFIRMATION
    })
  })

  it("answers 404 in Listrak's envelope for a list or a message it does not have", async () => {
    const message = 'Unable to locate a resource associated with the listId and transactionalMessageId supplied.'
    expectRefusal(
      await api.get('/List/12345/TransactionalMessage/9999'),
      404,
      'ERROR_UNABLE_TO_LOCATE_RESOURCE',
      message
    )
    expectRefusal(
      await api.get('/List/67890/TransactionalMessage/9001'),
      404,
      'ERROR_UNABLE_TO_LOCATE_RESOURCE',
      message
    )
    expectRefusal(await api.get('/List/999/TransactionalMessage'), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId')
  })
})

describe('POST /email/v1/List/{listId}/TransactionalMessage/{transactionalMessageId}/Message', () => {
  it('sends the message, answers 201 in the ResourceCreated envelope and records the send', async () => {
    const answer = await api.send({
      emailAddress: 'Jane@Example.com',
      segmentationFieldValues: values([7001, 'Downtown'], [7003, '120'])
    })
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: '1' }])
    expect(await api.messages()).toEqual({
      total: 1,
      kept: 1,
      dropped: 0,
      matched: 1,
      perRecipient: { 'jane@example.com': 1 },
      data: [
        {
          sequence: 1,
          listId: 12345,
          transactionalMessageId: 9001,
          emailAddress: 'Jane@Example.com',
          segmentationFieldValues: values([7001, 'Downtown'], [7003, '120']),
          sentAt: ISO_TIME,
          resendKey: expect.any(String)
        }
      ]
    })
  })

  it('counts the sends per recipient, and shows those to one address or of one message', async () => {
    const send = (emailAddress: string, messageId: number) =>
      api.send({ emailAddress, segmentationFieldValues: [] }, messageId)
    for (const [email, id] of [
      ['jane@example.com', 9001],
      ['JANE@example.com', 9002],
      ['john@example.com', 9001],
      ['jane@example.com', 9001]
    ] as const) {
      expect((await send(email, id)).status).toBe(201)
    }
    const all = await api.messages()
    expect(all).toMatchObject({ total: 4, matched: 4, perRecipient: { 'jane@example.com': 3, 'john@example.com': 1 } })
    expect((all.data as { sequence: number }[]).map((s) => s.sequence)).toEqual([1, 2, 3, 4])
    const jane = await api.messages('?email=Jane@Example.com')
    expect(jane).toMatchObject({ total: 4, matched: 3, perRecipient: { 'jane@example.com': 3 } })
    const orders = await api.messages('?transactionalMessageId=9001')
    expect(orders).toMatchObject({ matched: 3, perRecipient: { 'jane@example.com': 2, 'john@example.com': 1 } })
    const both = await api.messages('?transactionalMessageId=9002&email=jane@example.com')
    expect((both.data as { sequence: number }[]).map((s) => s.sequence)).toEqual([2])
  })

  it('forgets the sends on a reset, and numbers them from 1 again', async () => {
    await api.send({ emailAddress: 'jane@example.com', segmentationFieldValues: [] })
    await box.api.call('POST', '/_sandbox/reset')
    expect(await api.messages()).toMatchObject({ total: 0, matched: 0, perRecipient: {}, data: [] })
    const fresh = listrakApi(box.sandbox, await box.api.token())
    expect((await fresh.send({ emailAddress: 'jane@example.com', segmentationFieldValues: [] })).json).toEqual({
      status: 201,
      resourceId: '1'
    })
  })

  it.each([
    ['an unknown list', {}, 9001, 999, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId supplied'],
    ['an unknown message', {}, 9999, 12345, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'transactionalMessageId'],
    ["another list's message", {}, 9001, 67890, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'transactionalMessageId'],
    ['a bad email address', { emailAddress: 'jane' }, 9001, 12345, 400, 'ERROR_INVALID_PARAMETER', '"jane"'],
    [
      'a field that is not on the list',
      { segmentationFieldValues: values([8801, 'on']) },
      9001,
      12345,
      400,
      'ERROR_INVALID_PARAMETER',
      '8801 is not a profile field of list 12345'
    ],
    [
      'a Numeric value that is not a number',
      { segmentationFieldValues: values([7003, 'lots']) },
      9001,
      12345,
      400,
      'ERROR_INVALID_PARAMETER',
      'not a valid Numeric value'
    ],
    [
      'a field set twice',
      { segmentationFieldValues: values([7001, 'a'], [7001, 'b']) },
      9001,
      12345,
      400,
      'ERROR_SEGMENTATION_FIELD_DEFINED_TWICE',
      '7001'
    ],
    [
      'a contact without segmentationFieldValues (an empty set must be given)',
      { segmentationFieldValues: undefined },
      9001,
      12345,
      400,
      'ERROR_INVALID_PARAMETER',
      'contactResource.segmentationFieldValues'
    ]
  ])('refuses %s and sends nothing', async (_, change, messageId, listId, status, code, message) => {
    const body = { emailAddress: 'jane@example.com', segmentationFieldValues: [], ...change }
    expectRefusal(await api.send(body, messageId, listId), status, code, message)
    expect(await api.messages()).toMatchObject({ total: 0, data: [] })
  })

  it('refuses a body that is not JSON, by content type or by syntax, and a request without a token', async () => {
    const raw = (body: string, contentType: string, authorization?: string) =>
      box.api.call('POST', '/email/v1/List/12345/TransactionalMessage/9001/Message', {
        headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
        body
      })
    const bearer = `Bearer ${await box.api.token()}`
    expectRefusal(await raw('{}', 'text/plain', bearer), 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
    expectRefusal(await raw('{"emailAddress"', 'application/json', bearer), 400, 'ERROR_MALFORMED_REQUEST_BODY')
    expectRefusal(await raw('{}', 'application/json'), 401, 'ERROR_UNAUTHORIZED')
    expect(await api.messages()).toMatchObject({ total: 0 })
  })

  it('refuses an inspection filter that is not an ID', async () => {
    const answer = await box.api.call('GET', '/_sandbox/messages?transactionalMessageId=order')
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER', 'transactionalMessageId')
  })
})
