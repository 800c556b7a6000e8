import { useSandbox } from './client'
import { expectRefusal } from './listrak-api'
import { JANE, smsApi, smsApiFor } from './sms-api'

/** SMS transactional sends, the inspection routes, reset, and faults on the SMS routes. */

const { current: box, start } = useSandbox()

const setFaults = (faults: unknown) => box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify(faults) })
const clearFaults = () => box.api.call('DELETE', '/_sandbox/faults')
const text = (messageContent: unknown, phoneNumber = JANE) => ({ phoneNumber, messageContent })

let sms: ReturnType<typeof smsApi>
/** A sandbox with Jane subscribed to list 201. */
const startWithJane = async (options = {}) => {
  sms = await smsApiFor(await start(options))
  expect((await sms.create({ phoneNumber: JANE })).status).toBe(201)
}

describe('POST …/PhoneList/{phoneListId}/TransactionalMessage/{transactionalMessageId}/Message', () => {
  beforeEach(() => startWithJane())

  it('records the text sent, with its sequence number as the resource ID', async () => {
    const answer = await sms.send(text('Order A-1 shipped'))
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: '1' }])
    expect((await sms.send(text('Order A-2 shipped'))).json).toEqual({ status: 201, resourceId: '2' })
    expect(await sms.messages()).toEqual({
      total: 2,
      kept: 2,
      dropped: 0,
      matched: 2,
      perPhone: { [JANE]: 2 },
      data: [1, 2].map((sequence) => ({
        sequence,
        senderCodeId: 101,
        phoneListId: 201,
        transactionalMessageId: 401,
        phoneNumber: JANE,
        messageContent: `Order A-${sequence} shipped`,
        sentAt: expect.any(String)
      }))
    })
  })

  it('counts the texts sent in the stats', async () => {
    await sms.send(text('Shipped'))
    await sms.send(text(''))
    expect((await box.api.call('GET', '/_sandbox/stats')).json).toMatchObject({ smsMessagesSent: 1 })
  })

  it('refuses a phone without a contact with ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', async () => {
    const answer = await sms.send(text('Hi', '2155550124'))
    expectRefusal(answer, 400, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', 'not subscribed to list 201')
  })

  it('refuses a phone unsubscribed from the list with ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', async () => {
    await sms.unsubscribe(JANE)
    expectRefusal(await sms.send(text('Hi')), 400, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED')
  })

  it('refuses a phone opted out of the sender code with ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', async () => {
    await sms.update({ phoneNumber: JANE, optedOut: true })
    expectRefusal(await sms.send(text('Hi')), 400, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED')
    expect(await sms.messages()).toMatchObject({ total: 0 })
  })

  it('refuses a banned phone with ERROR_BANNED_PHONE_NUMBER', async () => {
    expectRefusal(await sms.send(text('Hi', '2155550199')), 400, 'ERROR_BANNED_PHONE_NUMBER')
  })

  it('refuses a suspended phone with ERROR_PHONE_NUMBER_SUSPENDED, though it is subscribed', async () => {
    expect((await sms.create({ phoneNumber: '2155550198' })).status).toBe(201)
    expectRefusal(await sms.send(text('Hi', '2155550198')), 400, 'ERROR_PHONE_NUMBER_SUSPENDED')
  })

  it.each([
    ['empty', ''],
    ['blank', '  \n'],
    ['null', null],
    ['absent', undefined]
  ])('refuses content %s with ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE', async (_, content) => {
    expectRefusal(await sms.send(text(content)), 400, 'ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE')
  })

  it.each(['Save with [[coupon]]', 'Save with [[ Coupon:SPRING ]] today'])(
    'refuses a coupon tag (%s) with ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE',
    async (content) => {
      const answer = await sms.send(text(content))
      expectRefusal(answer, 400, 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE', 'coupon')
      expect(await sms.messages()).toMatchObject({ total: 0 })
    }
  )

  it('refuses a phone that is not one with ERROR_INVALID_PHONE_NUMBER', async () => {
    expectRefusal(await sms.send(text('Hi', '+12155550123')), 400, 'ERROR_INVALID_PHONE_NUMBER')
  })

  it('answers 404 for an unknown message or list', async () => {
    const names = 'phoneListId, transactionalMessageId, and SenderCodeId'
    expectRefusal(await sms.send(text('Hi'), 999), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', names)
    expectRefusal(await sms.send(text('Hi'), 401, 999), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', names)
  })

  it('refuses a body that is not JSON with 415', async () => {
    const answer = await sms.call('POST', '/ShortCode/101/PhoneList/201/TransactionalMessage/401/Message')
    expectRefusal(answer, 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
  })
})

describe('a coupon tag pattern of the fixture', () => {
  it('refuses the tags it matches, and no others', async () => {
    const credentials = [
      { clientId: 'demo-sms-client-id', clientSecret: 'demo-sms-client-secret', integration: 'SMS' as const }
    ]
    const senderCode = {
      senderCodeId: 101,
      code: '1',
      country: 'US',
      merchantName: 'Acme',
      phoneLists: [
        {
          phoneListId: 201,
          phoneListName: 'All',
          transactionalMessages: [{ transactionalMessageId: 401, transactionalMessageName: 'Hi' }]
        }
      ]
    }
    sms = await smsApiFor(
      await start({
        fixture: { credentials, lists: [], sms: { senderCodes: [senderCode], couponTagPattern: '%%COUPON%%' } }
      })
    )
    await sms.create({ phoneNumber: JANE })
    expect((await sms.send(text('Save with [[coupon]]'))).status).toBe(201)
    expectRefusal(await sms.send(text('Save with %%coupon%%')), 400, 'ERROR_TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE')
  })
})

describe('inspection', () => {
  beforeEach(() => startWithJane())

  it('keeps the texts to one phone, written in any format', async () => {
    await sms.create({ phoneNumber: '2155550124' })
    await sms.send(text('One'))
    await sms.send(text('Two', '2155550124'))
    const mine = await sms.messages(`?phone=${encodeURIComponent('+1 (215) 555-0123')}`)
    expect(mine).toMatchObject({ total: 2, matched: 1, perPhone: { [JANE]: 1 }, data: [{ messageContent: 'One' }] })
  })

  it('keeps the texts of one transactional message, and refuses an ID that is not one', async () => {
    await sms.send(text('One'))
    expect(await sms.messages('?transactionalMessageId=401')).toMatchObject({ matched: 1 })
    expect(await sms.messages('?transactionalMessageId=402')).toMatchObject({ matched: 0, data: [] })
    const bad = await box.api.call('GET', '/_sandbox/sms/messages?transactionalMessageId=x')
    expectRefusal(bad, 400, 'ERROR_INVALID_PARAMETER', 'transactionalMessageId')
  })

  it("shows a sender code's contacts with their opt-out, lists and fields", async () => {
    await sms.update({
      phoneNumber: JANE,
      firstName: 'Jane',
      segmentationFieldValues: [{ segmentationFieldId: 301, value: 'York' }]
    })
    await sms.subscribe(JANE, 202)
    const answer = await box.api.call('GET', '/_sandbox/sms/contacts?senderCodeId=101')
    expect(answer.json).toEqual({
      senderCodeId: 101,
      contacts: [
        expect.objectContaining({
          phoneNumber: JANE,
          firstName: 'Jane',
          optedOut: false,
          fields: { 301: 'York' },
          lists: [
            expect.objectContaining({ phoneListId: 201, subscriptionState: 'Subscribed' }),
            expect.objectContaining({ phoneListId: 202, subscriptionState: 'Pending', pendingDoubleOptIn: true })
          ]
        })
      ]
    })
  })

  it('refuses to show contacts without a sender code (400) or of an unknown one (404)', async () => {
    expectRefusal(await box.api.call('GET', '/_sandbox/sms/contacts'), 400, 'ERROR_INVALID_PARAMETER', 'senderCodeId')
    const unknown = await box.api.call('GET', '/_sandbox/sms/contacts?senderCodeId=999')
    expectRefusal(unknown, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'no sender code 999')
  })

  it('forgets SMS contacts and texts on reset, and numbers texts from 1 again', async () => {
    await sms.send(text('One'))
    await box.api.call('POST', '/_sandbox/reset')
    expect(await sms.contacts()).toEqual({})
    expect(await sms.messages()).toMatchObject({ total: 0, perPhone: {} })
    expect((await box.api.call('GET', '/_sandbox/stats')).json).toMatchObject({ smsMessagesSent: 0 })
    sms = await smsApiFor(box.sandbox)
    await sms.create({ phoneNumber: JANE })
    expect((await sms.send(text('Again'))).json).toEqual({ status: 201, resourceId: '1' })
  })
})

describe('faults on the SMS routes', () => {
  beforeEach(() => startWithJane())

  const requestStatuses = async () =>
    ((await box.api.call('GET', '/_sandbox/requests')).json.data as { path: string; status: unknown }[]).map((r) => [
      r.path,
      r.status
    ])

  it('fails the next send before it is processed (failNext), then sends the retry once', async () => {
    await setFaults({ failNext: { count: 1, status: 503 } })
    expectRefusal(await sms.send(text('Shipped')), 503, 'ERROR_INJECTED_FAULT')
    expect(await sms.messages()).toMatchObject({ total: 0 })
    expect((await sms.send(text('Shipped'))).status).toBe(201)
    expect(await sms.messages()).toMatchObject({ total: 1, perPhone: { [JANE]: 1 } })
  })

  it('records the send, then closes the connection without an answer (dropAfterRate)', async () => {
    await setFaults({ dropAfterRate: 1 })
    await expect(sms.send(text('Shipped'))).rejects.toThrow()
    await clearFaults()
    expect(await sms.messages()).toMatchObject({ total: 1, perPhone: { [JANE]: 1 } })
    expect(await requestStatuses()).toContainEqual([
      '/sms/v1/ShortCode/101/PhoneList/201/TransactionalMessage/401/Message',
      'dropped-after-processing'
    ])
  })

  it('closes the connection before the contact is created (dropRate): nothing created', async () => {
    await setFaults({ dropRate: 1 })
    await expect(sms.create({ phoneNumber: '2155550124' })).rejects.toThrow()
    await clearFaults()
    expect(Object.keys(await sms.contacts())).toEqual([JANE])
  })

  it('fails every SMS route with an injected status (failureRate)', async () => {
    await setFaults({ failureRate: 1, failureStatus: 429 })
    const answers = await Promise.all([
      sms.get('/ShortCode'),
      sms.get('/ShortCode/101'),
      sms.get('/ShortCode/101/PhoneList'),
      sms.get('/ShortCode/101/PhoneList/201'),
      sms.get('/ShortCode/101/SegmentationField'),
      sms.get('/ShortCode/101/PhoneList/201/TransactionalMessage'),
      sms.create({ phoneNumber: '2155550124' }),
      sms.update({ phoneNumber: JANE, firstName: 'Jane' }),
      sms.contact(JANE),
      sms.subscriptions(JANE),
      sms.subscribe(JANE, 202),
      sms.unsubscribe(JANE),
      sms.send(text('Shipped'))
    ])
    expect(answers.map((a) => a.status)).toEqual(Array(13).fill(429))
    await clearFaults()
    expect(await sms.messages()).toMatchObject({ total: 0 })
    expect((await sms.contacts())[JANE]).toMatchObject({
      firstName: null,
      lists: [expect.objectContaining({ phoneListId: 201 })]
    })
  })

  it('fails a request to the Data API too', async () => {
    await setFaults({ failNext: { count: 1, status: 500 } })
    expectRefusal(await box.api.call('GET', '/data/v1/Customer'), 500, 'ERROR_INJECTED_FAULT')
  })
})
