import type { FixtureInput } from '../../sandbox'
import { useSandbox } from './client'
import { expectRefusal } from './listrak-api'
import { JANE, SMS_TOKEN_FORM, smsApi, smsApiFor } from './sms-api'

/** SMS contacts: create and subscribe, update and opt out, read, subscribe to and unsubscribe from a list. */

const { current: box, start } = useSandbox()

const setFaults = (faults: unknown) => box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify(faults) })
const values = (...fields: [number, string][]) =>
  fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))

let sms: ReturnType<typeof smsApi>
beforeEach(async () => {
  sms = await smsApiFor(await start())
})

/** The contact's state on each list, by list ID. */
const listStates = async (phone = JANE) =>
  Object.fromEntries(
    ((await sms.subscriptions(phone)).json.data as { phoneListId: number; subscriptionState: string }[]).map((s) => [
      s.phoneListId,
      s.subscriptionState
    ])
  )

describe('POST /sms/v1/ShortCode/{senderCodeId}/PhoneList/{phoneListId}/Contact', () => {
  it('creates the contact and subscribes it to the list', async () => {
    const body = { phoneNumber: JANE, emailAddress: 'jane@example.com', firstName: 'Jane', postalCode: '17601' }
    const answer = await sms.create({ ...body, segmentationFieldValues: values([302, 'on']) })
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: JANE }])
    expect((await sms.contact(JANE)).json.data).toEqual({
      subscribeDate: expect.any(String),
      unsubscribeDate: null,
      ...body,
      lastName: null,
      birthday: null,
      optedOut: false,
      segmentationFieldValues: values([302, 'on'])
    })
    expect(await listStates()).toEqual({ 201: 'Subscribed' })
  })

  it('leaves a new subscription Pending on a list that requires a double opt-in', async () => {
    expect((await sms.create({ phoneNumber: JANE }, 202)).status).toBe(201)
    expect((await sms.subscriptions(JANE)).json.data).toEqual([
      {
        phoneListId: 202,
        subscriptionState: 'Pending',
        subscribeDate: null,
        unsubscribeDate: null,
        pendingDate: expect.any(String),
        pendingDoubleOptIn: true,
        pendingAgeGate: false
      }
    ])
  })

  it('refuses a phone the sender code has with ERROR_PHONE_NUMBER_FOUND', async () => {
    await sms.create({ phoneNumber: JANE })
    expectRefusal(await sms.create({ phoneNumber: JANE }, 202), 400, 'ERROR_PHONE_NUMBER_FOUND', 'update it instead')
    expect(await listStates()).toEqual({ 201: 'Subscribed' })
  })

  it('refuses a banned phone with ERROR_BANNED_PHONE_NUMBER', async () => {
    expectRefusal(await sms.create({ phoneNumber: '2155550199' }), 400, 'ERROR_BANNED_PHONE_NUMBER')
    expect(await sms.contacts()).toEqual({})
  })

  it('refuses an inactive list with ERROR_LIST_INACTIVE', async () => {
    expectRefusal(await sms.create({ phoneNumber: JANE }, 203), 400, 'ERROR_LIST_INACTIVE', 'List 203 is inactive')
  })

  it('answers 404 for a list the sender code does not have', async () => {
    const answer = await sms.create({ phoneNumber: JANE }, 999)
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'senderCodeId and phoneListId')
  })

  it('refuses a body that is not JSON by content type (415) or does not parse (400)', async () => {
    const text = await box.api.call('POST', '/sms/v1/ShortCode/101/PhoneList/201/Contact', {
      headers: { authorization: `Bearer ${await box.api.token(SMS_TOKEN_FORM)}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ phoneNumber: JANE })
    })
    expectRefusal(text, 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
    expectRefusal(await sms.create('{"phoneNumber":'), 400, 'ERROR_MALFORMED_REQUEST_BODY')
  })

  it('refuses a member of the wrong type with ERROR_INVALID_PARAMETER naming it', async () => {
    const answer = await sms.create({ phoneNumber: JANE, optedOut: 'no' })
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER', 'contactResource.optedOut')
  })

  it('refuses a body without a phone with ERROR_INVALID_PARAMETER', async () => {
    expectRefusal(await sms.create({ firstName: 'Jane' }), 400, 'ERROR_INVALID_PARAMETER', 'phoneNumber')
  })

  it('refuses to create a contact opted out', async () => {
    expectRefusal(await sms.create({ phoneNumber: JANE, optedOut: true }), 400, 'ERROR_INVALID_PARAMETER', 'optedOut')
  })

  it.each([
    ['a bad email address', { emailAddress: 'jane' }, 'ERROR_INVALID_EMAIL_ADDRESS'],
    ['an empty birthday', { birthday: '' }, 'ERROR_BIRTHDAY_FIELD_NULL'],
    ['a birthday that is not a date', { birthday: 'soon' }, 'ERROR_INVALID_PARAMETER'],
    [
      'a field the sender code does not have',
      { segmentationFieldValues: values([999, 'x']) },
      'ERROR_INVALID_SEGMENTATION_FIELD_ID'
    ],
    ['a disabled field', { segmentationFieldValues: values([304, 'x']) }, 'ERROR_SEGMENTATION_FIELD_DISABLED'],
    [
      'a value over the field length',
      { segmentationFieldValues: values([301, 'x'.repeat(51)]) },
      'ERROR_SEGMENTATION_MAX_LENGTH'
    ],
    [
      'a check-box value other than on or off',
      { segmentationFieldValues: values([302, 'yes']) },
      'ERROR_INVALID_PARAMETER'
    ],
    [
      'a date field value that is not a date',
      { segmentationFieldValues: values([303, 'later']) },
      'ERROR_INVALID_PARAMETER'
    ],
    ['a field twice', { segmentationFieldValues: values([301, 'a'], [301, 'b']) }, 'ERROR_INVALID_PARAMETER']
  ])('refuses %s with %s, creating nothing', async (_, change, error) => {
    expectRefusal(await sms.create({ phoneNumber: JANE, ...change }), 400, error)
    expect(await sms.contacts()).toEqual({})
  })
})

describe('phone formats (smsPhoneFormat)', () => {
  it('takes 10 digits and refuses +1 by default, with ERROR_INVALID_PHONE_NUMBER naming the format', async () => {
    const answer = await sms.create({ phoneNumber: '+12155550123' })
    expectRefusal(answer, 400, 'ERROR_INVALID_PHONE_NUMBER', 'sender code 101 (US) takes 10 digits')
    expect(answer.json.message).toContain('smsPhoneFormat is national')
  })

  it.each(['555-0123', '(215) 555-0123', '215555012', 'phone'])('refuses %s', async (phoneNumber) => {
    expectRefusal(await sms.create({ phoneNumber }), 400, 'ERROR_INVALID_PHONE_NUMBER', JSON.stringify(phoneNumber))
  })

  it('takes +1 and 10 digits, and refuses 10 digits, with e164', async () => {
    await setFaults({ smsPhoneFormat: 'e164' })
    expect((await sms.create({ phoneNumber: '+12155550123' })).json).toEqual({ status: 201, resourceId: JANE })
    expectRefusal(
      await sms.create({ phoneNumber: '2155550124' }),
      400,
      'ERROR_INVALID_PHONE_NUMBER',
      '+1 and 10 digits'
    )
  })

  it('takes either with any, as one contact', async () => {
    await setFaults({ smsPhoneFormat: 'any' })
    expect((await sms.create({ phoneNumber: '+12155550123' })).status).toBe(201)
    expectRefusal(await sms.create({ phoneNumber: JANE }), 400, 'ERROR_PHONE_NUMBER_FOUND')
  })

  it('reads a percent-encoded + in a path', async () => {
    await setFaults({ smsPhoneFormat: 'e164' })
    await sms.create({ phoneNumber: '+12155550123' })
    const answer = await sms.call('GET', '/ShortCode/101/Contact/%2B12155550123')
    expect(answer.json).toMatchObject({ status: 200, data: { phoneNumber: JANE } })
  })

  it('refuses an unknown format setting', async () => {
    const answer = await setFaults({ smsPhoneFormat: 'international' })
    expectRefusal(answer, 400, 'ERROR_INVALID_PARAMETER', 'smsPhoneFormat')
  })
})

describe('PUT /sms/v1/ShortCode/{senderCodeId}/Contact', () => {
  it('updates the members given and keeps those absent or null', async () => {
    await sms.create({
      phoneNumber: JANE,
      firstName: 'Jane',
      lastName: 'Doe',
      segmentationFieldValues: values([301, 'York'])
    })
    const answer = await sms.update({
      phoneNumber: JANE,
      firstName: 'Janet',
      lastName: null,
      birthday: '1990-04-01',
      segmentationFieldValues: values([302, 'on'])
    })
    expect([answer.status, answer.json]).toEqual([200, { status: 200, resourceId: JANE }])
    expect((await sms.contact(JANE)).json.data).toMatchObject({
      firstName: 'Janet',
      lastName: 'Doe',
      birthday: '1990-04-01',
      segmentationFieldValues: values([301, 'York'], [302, 'on'])
    })
  })

  it('blanks a profile field given an empty value', async () => {
    await sms.create({ phoneNumber: JANE, segmentationFieldValues: values([301, 'York']) })
    await sms.update({ phoneNumber: JANE, segmentationFieldValues: values([301, '']) })
    expect((await sms.contact(JANE)).json.data).toMatchObject({ segmentationFieldValues: [] })
  })

  it('opts the contact out of the sender code: every list unsubscribed', async () => {
    await sms.create({ phoneNumber: JANE })
    await sms.subscribe(JANE, 202)
    expect((await sms.update({ phoneNumber: JANE, optedOut: true })).status).toBe(200)
    expect((await sms.contact(JANE)).json.data).toMatchObject({ optedOut: true, unsubscribeDate: expect.any(String) })
    expect(await listStates()).toEqual({ 201: 'Unsubscribed', 202: 'Unsubscribed' })
  })

  it('never opts a contact in: optedOut false changes nothing', async () => {
    await sms.create({ phoneNumber: JANE })
    await sms.update({ phoneNumber: JANE, optedOut: true })
    expect((await sms.update({ phoneNumber: JANE, optedOut: false })).status).toBe(200)
    expect((await sms.contact(JANE)).json.data).toMatchObject({ optedOut: true })
  })

  it("updates an opted-out contact's fields", async () => {
    await sms.create({ phoneNumber: JANE })
    await sms.update({ phoneNumber: JANE, optedOut: true })
    await sms.update({ phoneNumber: JANE, postalCode: '19103' })
    expect((await sms.contact(JANE)).json.data).toMatchObject({ optedOut: true, postalCode: '19103' })
  })

  it('refuses a phone the sender code does not have with ERROR_PHONE_NUMBER_NOT_FOUND', async () => {
    expectRefusal(await sms.update({ phoneNumber: JANE }), 400, 'ERROR_PHONE_NUMBER_NOT_FOUND', 'create it first')
  })

  it('refuses a banned phone with ERROR_BANNED_PHONE_NUMBER', async () => {
    expectRefusal(await sms.update({ phoneNumber: '2155550199' }), 400, 'ERROR_BANNED_PHONE_NUMBER')
  })

  it('refuses a bad value before changing anything', async () => {
    await sms.create({ phoneNumber: JANE, firstName: 'Jane' })
    const answer = await sms.update({
      phoneNumber: JANE,
      firstName: 'Janet',
      segmentationFieldValues: values([304, 'x'])
    })
    expectRefusal(answer, 400, 'ERROR_SEGMENTATION_FIELD_DISABLED')
    expect((await sms.contact(JANE)).json.data).toMatchObject({ firstName: 'Jane' })
  })

  it('answers 404 for an unknown sender code', async () => {
    const answer = await sms.update({ phoneNumber: JANE }, 999)
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'the senderCodeId supplied')
  })
})

describe('GET /sms/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}[/PhoneList]', () => {
  it('answers 404 for a phone the sender code does not have', async () => {
    const answer = await sms.contact(JANE)
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'senderCodeId and phoneNumber')
    expectRefusal(await sms.subscriptions(JANE), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
  })

  it('refuses a phone in the path that is not one with ERROR_INVALID_PHONE_NUMBER', async () => {
    expectRefusal(await sms.contact('555-0123'), 400, 'ERROR_INVALID_PHONE_NUMBER')
  })
})

describe('POST /sms/v1/ShortCode/{senderCodeId}/Contact/{phoneNumber}/PhoneList/{phoneListId}', () => {
  it('subscribes a contact of the sender code to another list', async () => {
    await sms.create({ phoneNumber: JANE })
    const answer = await sms.subscribe(JANE, 202)
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: JANE }])
    expect(await listStates()).toEqual({ 201: 'Subscribed', 202: 'Pending' })
  })

  it('answers 404 for a phone the sender code does not have', async () => {
    const answer = await sms.subscribe(JANE)
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'senderCodeId, phoneNumber, and phoneListId')
  })

  it('refuses a subscribed phone with ERROR_SUBSCRIBED_PHONE_NUMBER', async () => {
    await sms.create({ phoneNumber: JANE })
    expectRefusal(await sms.subscribe(JANE), 400, 'ERROR_SUBSCRIBED_PHONE_NUMBER')
  })

  it('refuses a pending phone with ERROR_PENDING_PHONE_NUMBER', async () => {
    await sms.create({ phoneNumber: JANE }, 202)
    expectRefusal(await sms.subscribe(JANE, 202), 400, 'ERROR_PENDING_PHONE_NUMBER')
  })

  it('refuses a banned phone with ERROR_BANNED_PHONE_NUMBER', async () => {
    expectRefusal(await sms.subscribe('2155550199'), 400, 'ERROR_BANNED_PHONE_NUMBER')
  })

  it('refuses an inactive list with ERROR_LIST_INACTIVE', async () => {
    await sms.create({ phoneNumber: JANE })
    expectRefusal(await sms.subscribe(JANE, 203), 400, 'ERROR_LIST_INACTIVE')
  })

  it('subscribes an opted-out contact again, ending its opt-out', async () => {
    await sms.create({ phoneNumber: JANE })
    await sms.update({ phoneNumber: JANE, optedOut: true })
    expect((await sms.subscribe(JANE)).status).toBe(201)
    expect((await sms.contact(JANE)).json.data).toMatchObject({ optedOut: false, unsubscribeDate: null })
    expect((await sms.contacts())[JANE]).toMatchObject({ resubscribeDate: expect.any(String) })
    expect(await listStates()).toEqual({ 201: 'Subscribed' })
  })
})

describe('DELETE /sms/v1/ShortCode/{senderCodeId}/ContactUnsubscribe/{phoneNumber}/PhoneList/{phoneListId}', () => {
  it('unsubscribes the contact from the list', async () => {
    await sms.create({ phoneNumber: JANE })
    const answer = await sms.unsubscribe(JANE)
    expect([answer.status, answer.json]).toEqual([200, { status: 200 }])
    expect(await listStates()).toEqual({ 201: 'Unsubscribed' })
  })

  it('unsubscribes a pending contact', async () => {
    await sms.create({ phoneNumber: JANE }, 202)
    expect((await sms.unsubscribe(JANE, 202)).status).toBe(200)
    expect(await listStates()).toEqual({ 202: 'Unsubscribed' })
  })

  it('refuses a contact unsubscribed already with ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', async () => {
    await sms.create({ phoneNumber: JANE })
    await sms.unsubscribe(JANE)
    expectRefusal(await sms.unsubscribe(JANE), 400, 'ERROR_PHONE_NUMBER_NOT_SUBSCRIBED')
  })

  it('answers the same 404 for a contact not on the list and for an unknown list', async () => {
    await sms.create({ phoneNumber: JANE })
    const notOnList = await sms.unsubscribe(JANE, 202)
    const unknownList = await sms.unsubscribe(JANE, 999)
    expectRefusal(notOnList, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'senderCodeId, phoneNumber, and phoneListId')
    expect(unknownList.json).toEqual(notOnList.json)
  })
})

/** Two US sender codes, to see what a contact shares across them. */
const TWO_US_SENDER_CODES: FixtureInput = {
  credentials: [{ clientId: 'demo-sms-client-id', clientSecret: 'demo-sms-client-secret', integration: 'SMS' }],
  lists: [],
  sms: {
    segmentationFields: [{ segmentationFieldId: 301, segmentationFieldName: 'favorite_store', dataType: 'Text' }],
    senderCodes: [101, 102].map((senderCodeId) => ({
      senderCodeId,
      code: String(senderCodeId),
      country: 'US',
      merchantName: 'Acme',
      phoneLists: [{ phoneListId: senderCodeId + 100, phoneListName: 'Marketing' }]
    }))
  }
}

describe('a contact on two sender codes', () => {
  it('shares its profile field values, not its system fields or its opt-out', async () => {
    sms = await smsApiFor(await start({ fixture: TWO_US_SENDER_CODES }))
    await sms.create({ phoneNumber: JANE, firstName: 'Jane', segmentationFieldValues: values([301, 'York']) }, 201, 101)
    await sms.create({ phoneNumber: JANE, firstName: 'J' }, 202, 102)
    await sms.update({ phoneNumber: JANE, optedOut: true, segmentationFieldValues: values([301, 'Lancaster']) }, 102)
    expect((await sms.contact(JANE, 101)).json.data).toMatchObject({
      firstName: 'Jane',
      optedOut: false,
      segmentationFieldValues: values([301, 'Lancaster'])
    })
  })
})
