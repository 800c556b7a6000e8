import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues, PayloadValidationError } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../../../src'

const testDestination = createTestIntegration(Destination)

const API = 'https://api.listrak.com'
const auth = { accessToken: 'test-access-token', refreshToken: '' }

let clients = 0

/** Settings with a client ID no other test uses: the destination keeps each list's fields per client and list. */
function newSettings() {
  clients += 1
  return { client_id: `test-client-${clients}`, client_secret: 'test-client-secret' }
}

const messagePath = '/email/v1/List/123/TransactionalMessage/77/Message'
const mapping = {
  listId: 123,
  transactionalMessageId: 77,
  profileFieldValues: { '501': { '@path': '$.properties.order_id' } }
}

const orderCompleted = (email: string, orderId = 'A-1') =>
  createTestEvent({ event: 'Order Completed', properties: { order_id: orderId }, context: { traits: { email } } })

/** No profile field definitions to check against: the merge values go unchecked. */
const withoutDefinitions = () => nock(API).get('/email/v1/List/123/SegmentationFieldGroup').reply(403, {}).persist()

function executeBatch(events: SegmentEvent[], fields: JSONObject = mapping) {
  return testDestination.executeBatch('sendTransactionalMessage', {
    events,
    settings: newSettings(),
    auth,
    mapping: { ...(defaultValues(Destination.actions.sendTransactionalMessage.fields) as JSONObject), ...fields }
  })
}

describe('Send Transactional Message, one event', () => {
  it('sends the message to the recipient with the merge values', async () => {
    withoutDefinitions()
    let received: unknown
    nock(API)
      .post(messagePath, (body) => {
        received = body
        return true
      })
      .reply(201, { status: 201, resourceId: 'message-1' })

    await testDestination.testAction('sendTransactionalMessage', {
      event: orderCompleted('jane@example.com', 'A-1001'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { ...mapping, enable_batching: false }
    })

    expect(received).toEqual({
      emailAddress: 'jane@example.com',
      segmentationFieldValues: [{ segmentationFieldId: 501, value: 'A-1001' }]
    })
  })

  it('throws a final error when the connection drops after sending: the message may have gone out', async () => {
    withoutDefinitions()
    nock(API)
      .post(messagePath)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))

    await expect(
      testDestination.testAction('sendTransactionalMessage', {
        event: orderCompleted('jane@example.com'),
        settings: newSettings(),
        auth,
        useDefaultMappings: true,
        mapping: { ...mapping, enable_batching: false }
      })
    ).rejects.toMatchObject({ name: 'IntegrationError', code: 'OUTCOME_UNKNOWN', status: 424 })
  })
})

describe('Send Transactional Message, batches', () => {
  it('sends one message per event, even two for the same recipient', async () => {
    withoutDefinitions()
    const scope = nock(API).post(messagePath).times(2).reply(201, { status: 201, resourceId: 'message-1' })

    const results = await executeBatch([
      orderCompleted('jane@example.com', 'A-1'),
      orderCompleted('jane@example.com', 'A-2')
    ])

    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(scope.isDone()).toBe(true)
  })

  it('answers each event in input order, refusing a bad one alone', async () => {
    withoutDefinitions()
    nock(API).post(messagePath).times(2).reply(201, { status: 201, resourceId: 'message-1' })

    const results = await executeBatch([
      orderCompleted('ann@example.com'),
      orderCompleted('not-an-email'),
      orderCompleted('bob@example.com')
    ])

    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
  })

  it.each([
    ['429', 429, 429, 'TOO_MANY_REQUESTS'],
    ['503', 503, 503, 'SERVICE_UNAVAILABLE'],
    ['500', 500, 424, 'OUTCOME_UNKNOWN'],
    ['502', 502, 424, 'OUTCOME_UNKNOWN']
  ])('answers Listrak %s with %i %s', async (_, status, expected, errortype) => {
    withoutDefinitions()
    nock(API).post(messagePath).reply(status, { status, error: 'ERROR_X', message: 'Listrak says so.' })

    const [result] = await executeBatch([orderCompleted('jane@example.com')])

    expect(result).toMatchObject({ status: expected, errortype })
  })

  it('retries a refused connection, since nothing was sent', async () => {
    withoutDefinitions()
    nock(API)
      .post(messagePath)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))

    const [result] = await executeBatch([orderCompleted('jane@example.com')])

    expect(result).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
  })
})

describe('Send Transactional Message: email addresses', () => {
  const withCheckBox = { ...mapping, profileFieldValues: { '456': 'on' } }

  /** Answers the reads of list 123's profile fields: one group with check box 456. */
  function serveCheckBox() {
    nock(API)
      .get('/email/v1/List/123/SegmentationFieldGroup')
      .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
      .get('/email/v1/List/123/SegmentationFieldGroup/1/SegmentationField')
      .reply(200, {
        status: 200,
        data: [{ segmentationFieldId: 456, segmentationFieldName: 'field_456', dataType: 'CheckBox', maxLength: 3 }]
      })
  }

  /** Records the recipients of the messages sent, in order, answering each with 201. */
  function receivedAddresses() {
    const addresses: string[] = []
    nock(API)
      .post(messagePath, (body: { emailAddress: string }) => {
        addresses.push(body.emailAddress)
        return true
      })
      .times(10)
      .reply(201, { status: 201, resourceId: 'message-1' })
    return addresses
  }

  const perform = (email: string, fields: JSONObject = withCheckBox) =>
    testDestination.testAction('sendTransactionalMessage', {
      event: orderCompleted(email),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { ...fields, enable_batching: false }
    })

  beforeEach(() => serveCheckBox())

  it('sends an address with spaces around it trimmed (perform)', async () => {
    const addresses = receivedAddresses()

    await perform(' padded@example.com ')

    expect(addresses).toEqual(['padded@example.com'])
  })

  it('sends addresses with spaces around them trimmed (performBatch)', async () => {
    const addresses = receivedAddresses()

    const results = await executeBatch(
      [orderCompleted(' padded@example.com '), orderCompleted('trailing@example.com ')],
      withCheckBox
    )

    expect(results.map((result) => result.status < 300)).toEqual([true, true])
    expect(addresses.sort()).toEqual(['padded@example.com', 'trailing@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read', async () => {
    const addresses = receivedAddresses()

    const refusal = perform(' jane@ ')

    await expect(refusal).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(refusal).rejects.toThrow(new Error('Email Address " jane@ " is not a valid email address.'))
    expect(addresses).toEqual([])
  })

  it('refuses the bad address of a batch alone, naming it', async () => {
    const addresses = receivedAddresses()

    const results = await executeBatch([orderCompleted('jane@'), orderCompleted(' padded@example.com ')], withCheckBox)

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: 'Email Address "jane@" is not a valid email address.'
    })
    expect(results[1].status).toBeLessThan(300)
    expect(addresses).toEqual(['padded@example.com'])
  })

  it('names a bad address and a merge value that does not fit its field in one message', async () => {
    const addresses = receivedAddresses()

    await expect(perform('jane@', { ...mapping, profileFieldValues: { '456': 'maybe' } })).rejects.toThrow(
      new Error(
        'Email Address "jane@" is not a valid email address. Merge Values: field 456 ("field_456", a check box) ' +
          'takes "on" or "off", not "maybe".'
      )
    )
    expect(addresses).toEqual([])
  })
})
