import { createHash } from 'crypto'
import { contact, useSandbox } from './client'
import { expectRefusal, listrakApi, values } from './listrak-api'

const { current: box, start } = useSandbox()
let api: ReturnType<typeof listrakApi>

beforeEach(async () => {
  await start()
  api = listrakApi(box.sandbox, await box.api.token())
})

const ISO_TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)

const subscribe = (emailAddress: string, ...fields: [number, string][]) =>
  api.postContact({ emailAddress, subscriptionState: 'Subscribed', segmentationFieldValues: values(...fields) })

const unsubscribe = (emailAddress: string, query = '') =>
  api.postContact({ emailAddress, subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }, query)

describe('POST /email/v1/List/{listId}/Contact', () => {
  it('creates a subscribed contact and answers 201 in the ResourceCreated envelope', async () => {
    const answer = await api.postContact({
      emailAddress: 'Jane@Example.com',
      subscriptionState: 'Subscribed',
      externalContactID: 'crm-1',
      segmentationFieldValues: values([6789, 'on'], [7001, 'Downtown'])
    })
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: 'Jane@Example.com' }])
    expect((await api.contactDetails())['jane@example.com']).toEqual({
      emailAddress: 'Jane@Example.com',
      emailKey: expect.stringMatching(/^[0-9a-f]{32}$/),
      subscriptionState: 'Subscribed',
      subscribeDate: ISO_TIME,
      resubscribeDate: null,
      subscribeMethod: 'API',
      unsubscribeDate: null,
      unsubscribeMethod: null,
      externalContactID: 'crm-1',
      events: [],
      doubleOptInSentAt: null,
      fields: { '6789': 'on', '7001': 'Downtown' }
    })
  })

  it('subscribes a contact without subscriptionState, as Subscribed', async () => {
    const answer = await api.postContact({ emailAddress: 'a@example.com', segmentationFieldValues: [] })
    expect(answer.status).toBe(201)
    expect((await api.contactDetails())['a@example.com']).toMatchObject({ subscriptionState: 'Subscribed' })
  })

  it('records a subscribe the contact initiated, and a double opt-in for a new contact only', async () => {
    const body = { emailAddress: 'a@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }
    expect((await api.postContact(body, '?subscribedByContact=true&sendDoubleOptIn=true')).status).toBe(201)
    const created = (await api.contactDetails())['a@example.com']
    expect(created).toMatchObject({ subscribeMethod: 'API, by the contact', doubleOptInSentAt: ISO_TIME })
    expect((await subscribe('b@example.com')).status).toBe(201)
    expect((await api.postContact({ ...body, emailAddress: 'b@example.com' }, '?sendDoubleOptIn=True')).status).toBe(
      201
    )
    expect((await api.contactDetails())['b@example.com']).toMatchObject({ doubleOptInSentAt: null })
  })

  it('updates a contact in any case of its address, keeping its subscribe date and email key', async () => {
    await subscribe('jane@example.com', [6789, 'on'])
    const before = (await api.contactDetails())['jane@example.com']
    const answer = await api.postContact({
      emailAddress: 'JANE@example.com',
      externalContactID: 'crm-2',
      segmentationFieldValues: values([6790, 'on'])
    })
    expect(answer.json).toEqual({ status: 201, resourceId: 'jane@example.com' })
    expect((await api.contactDetails())['jane@example.com']).toEqual({
      ...before,
      externalContactID: 'crm-2',
      fields: { '6789': 'on', '6790': 'on' }
    })
  })

  it('unsubscribes a subscribed contact, with the date and method', async () => {
    await subscribe('jane@example.com', [6789, 'on'])
    expect((await unsubscribe('jane@example.com')).status).toBe(201)
    expect((await api.contactDetails())['jane@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: ISO_TIME,
      unsubscribeMethod: 'API',
      fields: { '6789': 'on' }
    })
  })

  it('keeps an unsubscribed contact unsubscribed on a Subscribed request, and still updates its fields', async () => {
    await subscribe('jane@example.com')
    await unsubscribe('jane@example.com')
    const unsubscribed = (await api.contactDetails())['jane@example.com']
    expect((await subscribe('jane@example.com', [6789, 'on'])).status).toBe(201)
    expect((await api.contactDetails())['jane@example.com']).toEqual({ ...unsubscribed, fields: { '6789': 'on' } })
  })

  it('resubscribes an unsubscribed contact with overrideUnsubscribe=true', async () => {
    await subscribe('jane@example.com')
    const { subscribeDate } = (await api.contactDetails())['jane@example.com']
    await unsubscribe('jane@example.com')
    const body = { emailAddress: 'jane@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }
    expect((await api.postContact(body, '?overrideUnsubscribe=true')).status).toBe(201)
    expect((await api.contactDetails())['jane@example.com']).toMatchObject({
      subscriptionState: 'Subscribed',
      subscribeDate,
      resubscribeDate: ISO_TIME,
      unsubscribeDate: null,
      unsubscribeMethod: null
    })
  })

  it("subscribes the contacts an import creates, and leaves an unsubscribed contact's state to it", async () => {
    await subscribe('old@example.com')
    await unsubscribe('old@example.com')
    const imported = [contact('new@example.com', [6789, 'on']), contact('old@example.com', [6789, 'on'])]
    expect((await box.api.importContacts(12345, imported, await box.api.token())).status).toBe(201)
    const details = await api.contactDetails()
    expect(details['new@example.com']).toMatchObject({ subscriptionState: 'Subscribed', subscribeMethod: 'Import' })
    expect(details['old@example.com']).toMatchObject({ subscriptionState: 'Unsubscribed', fields: { '6789': 'on' } })
  })

  it.each([
    ['an unknown list', 999, {}, '', 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId supplied'],
    ['a list ID that is not one', 'abc', {}, '', 400, 'ERROR_INVALID_PARAMETER', 'listId'],
    [
      'a subscription state Listrak does not have',
      12345,
      { subscriptionState: 'Pending' },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'contactResource.subscriptionState'
    ],
    [
      'a bad email address',
      12345,
      { emailAddress: 'not-an-email' },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'emailAddress: "not-an-email"'
    ],
    [
      'an event not on the list',
      12345,
      {},
      '?eventIds=3001,4242',
      400,
      'ERROR_INVALID_PARAMETER',
      'eventIds: 4242 is not an event of list 12345'
    ],
    ['event IDs that are not IDs', 12345, {}, '?eventIds=welcome', 400, 'ERROR_INVALID_PARAMETER', 'eventIds'],
    [
      'a field that is not on the list',
      12345,
      { segmentationFieldValues: values([8801, 'on']) },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      '8801 is not a profile field of list 12345'
    ],
    [
      'a check-box value other than on/off',
      12345,
      { segmentationFieldValues: values([6789, 'yes']) },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      '"yes" on check-box field 6789'
    ],
    [
      'a Numeric value that is not a number',
      12345,
      { segmentationFieldValues: values([7003, 'many']) },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'not a valid Numeric value for field 7003'
    ],
    [
      'a Date value that is not a date',
      12345,
      { segmentationFieldValues: values([7004, 'someday']) },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'not a valid Date value for field 7004'
    ],
    [
      'a text value over the field length',
      12345,
      { segmentationFieldValues: values([7001, 'x'.repeat(51)]) },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'at most 50 characters'
    ],
    [
      'a field set twice',
      12345,
      { segmentationFieldValues: values([6789, 'on'], [6789, 'off']) },
      '',
      400,
      'ERROR_SEGMENTATION_FIELD_DEFINED_TWICE',
      undefined
    ],
    [
      'a contact without segmentationFieldValues',
      12345,
      { segmentationFieldValues: undefined },
      '',
      400,
      'ERROR_INVALID_PARAMETER',
      'contactResource.segmentationFieldValues'
    ],
    [
      'an updateType Listrak does not have',
      12345,
      {},
      '?updateType=Remove',
      400,
      'ERROR_INVALID_PARAMETER',
      'updateType'
    ],
    [
      'a flag that is not true or false',
      12345,
      {},
      '?overrideUnsubscribe=yes',
      400,
      'ERROR_INVALID_PARAMETER',
      'overrideUnsubscribe: use true or false'
    ],
    ['a bad new email address', 12345, {}, '?newEmailAddress=nobody', 400, 'ERROR_INVALID_PARAMETER', 'newEmailAddress']
  ])('refuses %s and changes nothing', async (_, listId, change, query, status, code, message) => {
    const body = { emailAddress: 'a@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }
    expectRefusal(await api.postContact({ ...body, ...change }, query, listId), status, code, message)
    expect(await api.contactDetails()).toEqual({})
  })

  it('refuses a body that is not JSON, by content type or by syntax, and a request without a token', async () => {
    const raw = (body: string, contentType: string, authorization = '') =>
      box.api.call('POST', '/email/v1/List/12345/Contact', {
        headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
        body
      })
    const token = await box.api.token()
    expectRefusal(await raw('{}', 'text/plain', `Bearer ${token}`), 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
    expectRefusal(
      await raw('{"emailAddress":', 'application/json', `Bearer ${token}`),
      400,
      'ERROR_MALFORMED_REQUEST_BODY'
    )
    expectRefusal(await raw('{}', 'application/json'), 401, 'ERROR_UNAUTHORIZED')
  })

  describe('unsubscribing', () => {
    it('refuses a contact that is not on the list with ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS', async () => {
      expectRefusal(await unsubscribe('nobody@example.com'), 400, 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS')
      expect(await api.contactDetails()).toEqual({})
    })

    it('refuses a contact already unsubscribed with ERROR_UNSUBSCRIBED_EMAIL_ADDRESS, keeping its date', async () => {
      await subscribe('jane@example.com')
      await unsubscribe('jane@example.com')
      const before = (await api.contactDetails())['jane@example.com']
      expectRefusal(await unsubscribe('jane@example.com'), 400, 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS')
      expect((await api.contactDetails())['jane@example.com']).toEqual(before)
    })

    it('refuses events or profile data in the same request', async () => {
      await subscribe('jane@example.com')
      expectRefusal(await unsubscribe('jane@example.com', '?eventIds=3001'), 400, 'ERROR_UNSUBSCRIBE_WITH_EVENTS')
      const withData = await api.postContact({
        emailAddress: 'jane@example.com',
        subscriptionState: 'Unsubscribed',
        segmentationFieldValues: values([6789, 'off'])
      })
      expectRefusal(withData, 400, 'ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA')
      expect((await api.contactDetails())['jane@example.com']).toMatchObject({ subscriptionState: 'Subscribed' })
    })

    it('refuses to raise events for an unsubscribed contact that stays so', async () => {
      await subscribe('jane@example.com')
      await unsubscribe('jane@example.com')
      const body = { emailAddress: 'jane@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }
      expectRefusal(await api.postContact(body, '?eventIds=3001'), 400, 'ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS')
      expect((await api.postContact(body, '?eventIds=3001&overrideUnsubscribe=true')).status).toBe(201)
      expect((await api.contactDetails())['jane@example.com']).toMatchObject({
        subscriptionState: 'Subscribed',
        events: [{ eventId: 3001, raisedAt: ISO_TIME }]
      })
    })
  })

  describe('banned and suppressed addresses (the fixture lists them per list)', () => {
    it.each([
      ['banned@example.com', 'ERROR_BANNED_EMAIL_ADDRESS', 'banned from list 12345'],
      ['Suppressed@Example.com', 'ERROR_SUPPRESSED_EMAIL', 'suppression list bound to list 12345']
    ])('refuses to subscribe %s, in any case, and writes nothing', async (address, code, message) => {
      expectRefusal(await subscribe(address, [6789, 'on']), 400, code, message)
      expect(await api.contactDetails()).toEqual({})
    })

    it('subscribes them on a list that does not block them', async () => {
      const body = { emailAddress: 'banned@example.com', segmentationFieldValues: [] }
      expect((await api.postContact(body, '', 67890)).status).toBe(201)
    })

    it.each([
      ['banned@example.com', 'ERROR_BANNED_NEW_EMAIL_ADDRESS'],
      ['suppressed@example.com', 'ERROR_SUPPRESSED_NEW_EMAIL']
    ])('refuses to change an address to %s', async (address, code) => {
      await subscribe('jane@example.com')
      const body = { emailAddress: 'jane@example.com', segmentationFieldValues: [] }
      expectRefusal(await api.postContact(body, `?newEmailAddress=${address}`), 400, code)
      expect(Object.keys(await api.contactDetails())).toEqual(['jane@example.com'])
    })
  })

  describe('updateType', () => {
    beforeEach(async () => {
      await subscribe('jane@example.com', [6789, 'on'], [7001, 'Downtown'])
    })

    const update = (query: string, ...fields: [number, string][]) =>
      api.postContact({ emailAddress: 'jane@example.com', segmentationFieldValues: values(...fields) }, query)
    const fields = async () => (await api.contactDetails())['jane@example.com'].fields

    it('Update (the default) writes each submitted value, never blanks a field, and keeps fields not submitted', async () => {
      expect((await update('', [6789, 'off'], [7001, ''], [7003, '12'])).status).toBe(201)
      expect(await fields()).toEqual({ '6789': 'off', '7001': 'Downtown', '7003': '12' })
      expect((await update('?updateType=Update', [7001, 'Uptown'])).status).toBe(201)
      expect(await fields()).toEqual({ '6789': 'off', '7001': 'Uptown', '7003': '12' })
    })

    it('Append fills only fields that hold no value yet', async () => {
      expect((await update('?updateType=Append', [6789, 'off'], [7001, 'Uptown'], [6790, 'on'])).status).toBe(201)
      expect(await fields()).toEqual({ '6789': 'on', '7001': 'Downtown', '6790': 'on' })
    })

    it('Overwrite writes each submitted value, an empty one blanking the field', async () => {
      expect((await update('?updateType=overwrite', [6789, 'off'], [7001, ''])).status).toBe(201)
      expect(await fields()).toEqual({ '6789': 'off' })
    })
  })

  describe('newEmailAddress', () => {
    const change = (from: string, to: string, query = '', fields: [number, string][] = []) =>
      api.postContact(
        { emailAddress: from, segmentationFieldValues: values(...fields) },
        `?newEmailAddress=${encodeURIComponent(to)}${query}`
      )

    it("changes a contact's address, keeping its values and email key", async () => {
      await subscribe('old@example.com', [6789, 'on'])
      const before = (await api.contactDetails())['old@example.com']
      const answer = await change('old@example.com', 'new@example.com')
      expect(answer.json).toEqual({ status: 201, resourceId: 'new@example.com' })
      expect(await api.contactDetails()).toEqual({ 'new@example.com': { ...before, emailAddress: 'new@example.com' } })
    })

    it.each<[string, string, string, [number, string][], string]>([
      ['with events', 'new@example.com', '&eventIds=3001', [], 'ERROR_CHANGE_ADDRESS_WITH_EVENTS'],
      ['with profile data', 'new@example.com', '', [[6789, 'off']], 'ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA'],
      ['to an address already subscribed', 'taken@example.com', '', [], 'ERROR_SUBSCRIBED_NEW_EMAIL_ADDRESS'],
      ['to an address that has unsubscribed', 'gone@example.com', '', [], 'ERROR_UNSUBSCRIBED_NEW_EMAIL_ADDRESS']
    ])('refuses a change %s', async (_, to, query, fields, code) => {
      await subscribe('old@example.com')
      await subscribe('taken@example.com')
      await subscribe('gone@example.com')
      await unsubscribe('gone@example.com')
      const before = await api.contactDetails()
      expectRefusal(await change('old@example.com', to, query, fields), 400, code)
      expect(await api.contactDetails()).toEqual(before)
    })

    it('refuses to change the address of a contact that has unsubscribed, or of no contact', async () => {
      await subscribe('old@example.com')
      await unsubscribe('old@example.com')
      expectRefusal(
        await change('old@example.com', 'new@example.com'),
        400,
        'ERROR_CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED'
      )
      expectRefusal(
        await change('nobody@example.com', 'new@example.com'),
        400,
        'ERROR_INVALID_PARAMETER',
        'no such contact'
      )
    })
  })

  describe('events', () => {
    it("lists the list's events in Listrak's Collection envelope", async () => {
      expect((await api.get('/List/12345/Event')).json).toEqual({
        status: 200,
        data: [
          { eventId: 3001, eventName: 'Welcome Series', eventGroupId: 300, status: 'Active' },
          { eventId: 3002, eventName: 'Back in Stock', eventGroupId: 300, status: 'Active' }
        ]
      })
      expect((await api.get('/List/67890/Event')).json).toEqual({ status: 200, data: [] })
      expectRefusal(await api.get('/List/999/Event'), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
    })

    it('records the events each contact raised, in order', async () => {
      const body = (emailAddress: string) => ({ emailAddress, segmentationFieldValues: [] })
      expect((await api.postContact(body('jane@example.com'), '?eventIds=3001')).status).toBe(201)
      expect((await api.postContact(body('jane@example.com'), '?eventIds=3002,3001')).status).toBe(201)
      expect((await api.postContact(body('john@example.com'), '?eventIds=%203002%20')).status).toBe(201)
      const details = await api.contactDetails()
      expect(details['jane@example.com'].events).toEqual([
        { eventId: 3001, raisedAt: ISO_TIME },
        { eventId: 3002, raisedAt: ISO_TIME },
        { eventId: 3001, raisedAt: ISO_TIME }
      ])
      expect(details['john@example.com'].events).toEqual([{ eventId: 3002, raisedAt: ISO_TIME }])
    })
  })
})

describe('GET /email/v1/List/{listId}/Contact/{contactIdentifier}', () => {
  beforeEach(async () => {
    await api.postContact({
      emailAddress: 'Jane@Example.com',
      externalContactID: 'crm-1',
      segmentationFieldValues: values([6789, 'on'], [7001, 'Downtown'])
    })
  })

  it("answers the Contact in Listrak's Resource envelope, with the values of the fields asked for", async () => {
    const answer = await api.getContact('jane@example.com', '?segmentationFieldIds=6789,7001,7003')
    expect([answer.status, answer.json]).toEqual([
      200,
      {
        status: 200,
        data: {
          emailAddress: 'Jane@Example.com',
          emailKey: expect.stringMatching(/^[0-9a-f]{32}$/),
          universalEmailKey: createHash('sha256').update('jane@example.com').digest('hex'),
          subscriptionState: 'Subscribed',
          subscribeDate: ISO_TIME,
          resubscribeDate: null,
          subscribeMethod: 'API',
          unsubscribeDate: null,
          unsubscribeMethod: null,
          externalContactID: 'crm-1',
          segmentationFieldValues: [
            { segmentationFieldGroupId: 501, segmentationFieldId: 6789, value: 'on' },
            { segmentationFieldGroupId: 502, segmentationFieldId: 7001, value: 'Downtown' }
          ]
        }
      }
    ])
  })

  it('answers no profile field values unless asked for them, as segmentationFieldIds selects them', async () => {
    const answer = await api.getContact('Jane@Example.com')
    expect(answer.json.data).toMatchObject({ emailAddress: 'Jane@Example.com', segmentationFieldValues: [] })
  })

  it('finds the contact by its email key too', async () => {
    const { emailKey } = (await api.getContact('jane@example.com')).json.data as unknown as { emailKey: string }
    const answer = await api.getContact(emailKey, '?segmentationFieldIds=6789')
    expect(answer.json.data).toMatchObject({ emailAddress: 'Jane@Example.com', emailKey })
  })

  it('shows an unsubscribe', async () => {
    await unsubscribe('jane@example.com')
    expect((await api.getContact('jane@example.com')).json.data).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: ISO_TIME,
      unsubscribeMethod: 'API'
    })
  })

  it("answers 404 in Listrak's envelope for a contact or a list it does not have", async () => {
    const message = 'Unable to locate a resource associated with the listId and contactIdentifier supplied.'
    expectRefusal(await api.getContact('nobody@example.com'), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message)
    expectRefusal(await api.getContact('jane@example.com', '', 67890), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE')
    expectRefusal(await api.getContact('jane@example.com', '', 999), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId')
  })

  it('refuses more than 30 segmentationFieldIds, and a field the list does not have', async () => {
    const ids = Array.from({ length: 31 }, (_, i) => 6789 + i).join(',')
    const tooMany = await api.getContact('jane@example.com', `?segmentationFieldIds=${ids}`)
    expectRefusal(tooMany, 400, 'ERROR_TOO_MANY_SEGMENTATION_FIELDS')
    const unknown = await api.getContact('jane@example.com', '?segmentationFieldIds=8801')
    expectRefusal(unknown, 400, 'ERROR_INVALID_PARAMETER', '8801 is not a profile field of list 12345')
  })

  it('refuses a request without a token', async () => {
    const answer = await box.api.call('GET', '/email/v1/List/12345/Contact/jane@example.com')
    expectRefusal(answer, 401, 'ERROR_UNAUTHORIZED')
  })
})

describe('GET /_sandbox/lists/{listId}/contacts', () => {
  it('keeps its shape, address and values only, and gives everything with ?detail=full', async () => {
    await subscribe('jane@example.com', [6789, 'on'])
    await unsubscribe('jane@example.com')
    const plain = await box.api.call('GET', '/_sandbox/lists/12345/contacts')
    expect(plain.json).toEqual({
      listId: 12345,
      contacts: [{ emailAddress: 'jane@example.com', fields: { '6789': 'on' } }]
    })
    const full = await box.api.call('GET', '/_sandbox/lists/12345/contacts?detail=full')
    expect(full.json).toEqual({
      listId: 12345,
      contacts: [expect.objectContaining({ emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed' })]
    })
    expectRefusal(
      await box.api.call('GET', '/_sandbox/lists/12345/contacts?detail=some'),
      400,
      'ERROR_INVALID_PARAMETER'
    )
  })
})
