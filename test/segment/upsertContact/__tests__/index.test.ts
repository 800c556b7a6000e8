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

/** Answers the reads of list 123's profile fields: one group of check boxes with the given IDs. */
function serveCheckBoxes(fieldIds: number[]) {
  nock(API)
    .get('/email/v1/List/123/SegmentationFieldGroup')
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get('/email/v1/List/123/SegmentationFieldGroup/1/SegmentationField')
    .reply(200, {
      status: 200,
      data: fieldIds.map((id) => ({
        segmentationFieldId: id,
        segmentationFieldName: `field_${id}`,
        dataType: 'CheckBox',
        maxLength: 3
      }))
    })
}

const contactPath = (listId: number) => `/email/v1/List/${listId}/Contact`

/** A mapping as Segment saves it: the action's defaults, then the given fields. */
const mappingWith = (fields: JSONObject): JSONObject => ({
  ...(defaultValues(Destination.actions.upsertContact.fields) as JSONObject),
  ...fields
})

/** A track event from a signed-up customer. */
const signUp = (email: string, properties: JSONObject = {}) =>
  createTestEvent({ event: 'Signed Up', userId: `id-${email}`, properties, context: { traits: { email } } })

/** An Engage audience event for a contact, without the membership in its properties: the event name tells. */
const audienceEvent = (email: string, event: string) =>
  createTestEvent({
    event,
    properties: {},
    context: {
      traits: { email },
      personas: { computation_key: 'listrak_audience', computation_class: 'audience' }
    }
  })

/** Records each contact posted to a list, with its query string, and answers 201. */
function acceptContacts(listId: number) {
  const received: { query: Record<string, string>; body: unknown }[] = []
  nock(API)
    .post(contactPath(listId))
    .query(true)
    .times(10)
    .reply(function (uri, body) {
      received.push({ query: Object.fromEntries(new URL(uri, API).searchParams), body })
      return [201, { status: 201, resourceId: `contact-${received.length}` }]
    })
  return received
}

function executeBatch(events: SegmentEvent[], fields: JSONObject) {
  return testDestination.executeBatch('upsertContact', {
    events,
    settings: newSettings(),
    auth,
    mapping: mappingWith(fields)
  })
}

describe('Create or Update Contact, one event', () => {
  it('creates or updates the contact with its state, external ID and profile fields', async () => {
    serveCheckBoxes([456])
    const received = acceptContacts(123)

    await testDestination.testAction('upsertContact', {
      event: signUp('jane@example.com'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: {
        listId: 123,
        subscriptionState: 'Subscribed',
        profileFieldValues: { '456': 'on' },
        enable_batching: false
      }
    })

    expect(received).toEqual([
      {
        query: {},
        body: {
          emailAddress: 'jane@example.com',
          subscriptionState: 'Subscribed',
          externalContactID: 'id-jane@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 456, value: 'on' }]
        }
      }
    ])
  })

  it('raises the chosen events and asks for a double opt-in', async () => {
    const received = acceptContacts(123)

    await testDestination.testAction('upsertContact', {
      event: signUp('jane@example.com'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, subscriptionState: 'Subscribed', eventIds: [11, 12], sendDoubleOptIn: true }
    })

    expect(received[0].query).toEqual({ eventIds: '11,12', sendDoubleOptIn: 'true' })
  })

  it('refuses an unsubscribe with profile field values before Listrak does', async () => {
    const scope = nock(API).post(contactPath(123)).query(true).reply(201, {})

    await expect(
      testDestination.testAction('upsertContact', {
        event: signUp('jane@example.com'),
        settings: newSettings(),
        auth,
        useDefaultMappings: true,
        mapping: { listId: 123, subscriptionState: 'Unsubscribed', profileFieldValues: { '456': 'off' } }
      })
    ).rejects.toThrow('(ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA)')
    expect(scope.isDone()).toBe(false)
  })
})

describe('Create or Update Contact, batches', () => {
  it('merges events for one address into one request; the later event wins per field', async () => {
    serveCheckBoxes([456, 457])
    const received = acceptContacts(123)
    const events = [
      signUp('jane@example.com', { a: 'on', b: 'on' }),
      signUp('Jane@Example.com', { a: 'off' }),
      signUp('john@example.com', { a: 'on' })
    ]

    const results = await executeBatch(events, {
      listId: 123,
      profileFieldValues: { '456': { '@path': '$.properties.a' }, '457': { '@path': '$.properties.b' } }
    })

    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(received.map((r) => r.body)).toContainEqual({
      emailAddress: 'jane@example.com',
      externalContactID: 'id-Jane@Example.com',
      segmentationFieldValues: [
        { segmentationFieldId: 456, value: 'off' },
        { segmentationFieldId: 457, value: 'on' }
      ]
    })
    expect(received).toHaveLength(2)
  })

  it('answers each event in input order, refusing a bad one alone', async () => {
    const received = acceptContacts(123)
    const events = [signUp('ann@example.com'), signUp('not-an-email'), signUp('bob@example.com')]

    const results = await executeBatch(events, { listId: 123, subscriptionState: 'Subscribed' })

    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
    expect(received).toHaveLength(2)
  })

  it("gives a contact Listrak refused Listrak's code, and the others their own result", async () => {
    nock(API)
      .post(contactPath(123), (body: { emailAddress: string }) => body.emailAddress === 'ann@example.com')
      .reply(400, { status: 400, error: 'ERROR_BANNED_EMAIL_ADDRESS', message: 'Banned.' })
    acceptContacts(123)

    const results = await executeBatch([signUp('ann@example.com'), signUp('bob@example.com')], { listId: 123 })

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: expect.stringContaining('ERROR_BANNED_EMAIL_ADDRESS: Banned.')
    })
    expect(results[1]).toMatchObject({ status: 201 })
  })

  it('turns audience members on and leavers off with useAudienceKey', async () => {
    serveCheckBoxes([456])
    const received = acceptContacts(123)
    const events = [
      audienceEvent('ann@example.com', 'Audience Entered'),
      audienceEvent('bob@example.com', 'Audience Exited')
    ]

    await executeBatch(events, { listId: 123, profileFieldValues: { '456': 'useAudienceKey' } })

    expect(received.map((r) => r.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          emailAddress: 'ann@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 456, value: 'on' }]
        }),
        expect.objectContaining({
          emailAddress: 'bob@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 456, value: 'off' }]
        })
      ])
    )
  })
})

describe('Create or Update Contact: email addresses', () => {
  /** Sends one event through `perform`, to list 123 with field 456 on and `fields` on top. */
  const perform = (email: string, fields: JSONObject = {}) =>
    testDestination.testAction('upsertContact', {
      event: signUp(email),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, profileFieldValues: { '456': 'on' }, ...fields, enable_batching: false }
    })

  const addressesOf = (received: { body: unknown }[]) =>
    received.map(({ body }) => (body as { emailAddress: string }).emailAddress)

  beforeEach(() => serveCheckBoxes([456]))

  it('sends an address with spaces around it trimmed (perform)', async () => {
    const received = acceptContacts(123)

    await perform(' padded@example.com ')

    expect(addressesOf(received)).toEqual(['padded@example.com'])
  })

  it('sends addresses with spaces around them trimmed (performBatch)', async () => {
    const received = acceptContacts(123)

    const results = await executeBatch([signUp(' padded@example.com '), signUp('trailing@example.com ')], {
      listId: 123,
      profileFieldValues: { '456': 'on' }
    })

    expect(results.map((result) => result.status < 300)).toEqual([true, true])
    expect(addressesOf(received).sort()).toEqual(['padded@example.com', 'trailing@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read', async () => {
    const received = acceptContacts(123)

    const refusal = perform(' jane@ ')

    await expect(refusal).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(refusal).rejects.toThrow(new Error('Email Address " jane@ " is not a valid email address.'))
    expect(received).toEqual([])
  })

  it('refuses the bad address of a batch alone, naming it', async () => {
    const received = acceptContacts(123)

    const results = await executeBatch([signUp('jane@'), signUp(' padded@example.com ')], {
      listId: 123,
      profileFieldValues: { '456': 'on' }
    })

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: 'Email Address "jane@" is not a valid email address.'
    })
    expect(results[1].status).toBeLessThan(300)
    expect(addressesOf(received)).toEqual(['padded@example.com'])
  })

  it('names a bad address and a value that does not fit its field in one message', async () => {
    const received = acceptContacts(123)

    await expect(perform('jane@', { profileFieldValues: { '456': 'maybe' } })).rejects.toThrow(
      new Error(
        'Email Address "jane@" is not a valid email address. Profile Field Values: field 456 ("field_456", a check ' +
          'box) takes "on" or "off", not "maybe".'
      )
    )
    expect(received).toEqual([])
  })
})

describe('Create or Update Contact: New Email Address', () => {
  it('sends a new address with spaces around it trimmed', async () => {
    const received = acceptContacts(123)

    await testDestination.testAction('upsertContact', {
      event: signUp('old@example.com'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, newEmailAddress: ' new@example.com ', enable_batching: false }
    })

    expect(received.map(({ query }) => query.newEmailAddress)).toEqual(['new@example.com'])
  })

  it('refuses a new address that is not one, naming that field and the value as it was read', async () => {
    const received = acceptContacts(123)

    await expect(
      testDestination.testAction('upsertContact', {
        event: signUp('old@example.com'),
        settings: newSettings(),
        auth,
        useDefaultMappings: true,
        mapping: { listId: 123, newEmailAddress: 'new@ ', enable_batching: false }
      })
    ).rejects.toThrow(new Error('New Email Address "new@ " is not a valid email address.'))
    expect(received).toEqual([])
  })
})

describe('Create or Update Contact: Bulk Import Large Batches', () => {
  const importPath = (listId: number) => `/email/v1/List/${listId}/ListImport`

  /** Records each list import posted to a list, with its file decoded, and answers 201 with import IDs. */
  function acceptImports(listId: number) {
    const received: { body: Record<string, unknown>; csv: string }[] = []
    nock(API)
      .post(importPath(listId))
      .times(10)
      .reply((_uri, body) => {
        const file = body as Record<string, unknown>
        received.push({ body: file, csv: Buffer.from(String(file.fileStream), 'base64').toString('utf8') })
        return [201, { status: 201, resourceId: `import-${received.length}` }]
      })
    return received
  }

  const bulk = {
    listId: 123,
    subscriptionState: 'Subscribed',
    profileFieldValues: { '456': { '@path': '$.properties.a' } },
    bulk_import: 'add_and_update',
    bulk_min_contacts: 2
  }

  it('sends the contacts of a batch in one list import, and answers each event 201 pending', async () => {
    serveCheckBoxes([456])
    const imports = acceptImports(123)
    const contacts = acceptContacts(123)
    const events = [signUp('ann@example.com', { a: 'on' }), signUp('bob@example.com', { a: 'off' })]

    const results = await executeBatch(events, bulk)

    expect(contacts).toEqual([])
    expect(imports).toHaveLength(1)
    expect(imports[0].csv).toBe(
      'Email,ExternalContactID,456\r\nann@example.com,id-ann@example.com,on\r\nbob@example.com,id-bob@example.com,off\r\n'
    )
    expect(imports[0].body).toMatchObject({
      fileName: expect.stringMatching(/^segment-123-[0-9a-f]{12}\.csv$/),
      importType: 'AddSubscribersAndSegmentationData',
      segmentationImportType: 'Update',
      hasColumnNames: true,
      suppressEmailNotifications: true,
      triggerJourney: false
    })
    expect(results.map((r) => [r.status, r.body])).toEqual([
      [
        201,
        {
          status: 201,
          resourceId: 'import-1',
          via: 'ListImport',
          importType: 'AddSubscribersAndSegmentationData',
          outcome: 'pending'
        }
      ],
      [201, expect.objectContaining({ resourceId: 'import-1', outcome: 'pending' })]
    ])
  })

  it("keeps a contact with events to raise out of the import: all of that contact's events go in its own request", async () => {
    serveCheckBoxes([456])
    const imports = acceptImports(123)
    const contacts = acceptContacts(123)
    const events = [
      signUp('ann@example.com', { a: 'on' }),
      signUp('bob@example.com', { a: 'on' }),
      signUp('cid@example.com', { a: 'on' }),
      signUp('Ann@example.com', { a: 'off', events: [11] })
    ]

    const results = await executeBatch(events, { ...bulk, eventIds: { '@path': '$.properties.events' } })

    expect(imports.map((i) => i.csv)).toEqual([
      'Email,ExternalContactID,456\r\nbob@example.com,id-bob@example.com,on\r\ncid@example.com,id-cid@example.com,on\r\n'
    ])
    expect(contacts).toEqual([
      {
        query: { eventIds: '11' },
        body: expect.objectContaining({
          emailAddress: 'ann@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 456, value: 'off' }]
        })
      }
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201])
  })

  it('sends one request per contact when a batch has fewer contacts than Bulk Import Threshold', async () => {
    serveCheckBoxes([456])
    const imports = acceptImports(123)
    const contacts = acceptContacts(123)

    await executeBatch([signUp('ann@example.com', { a: 'on' }), signUp('bob@example.com', { a: 'on' })], {
      ...bulk,
      bulk_min_contacts: 3
    })

    expect(imports).toEqual([])
    expect(contacts).toHaveLength(2)
  })

  it('sends one request per contact by default', async () => {
    const imports = acceptImports(123)
    const contacts = acceptContacts(123)

    await executeBatch([signUp('ann@example.com'), signUp('bob@example.com')], { listId: 123 })

    expect(imports).toEqual([])
    expect(contacts).toHaveLength(2)
  })

  it("fails the events of an import Listrak refuses with its code, and leaves a 503's to be retried", async () => {
    nock(API)
      .post(importPath(123))
      .reply(400, { status: 400, error: 'ERROR_INVALID_PARAMETER', message: 'An invalid value was supplied.' })
    const events = [signUp('ann@example.com', { a: 'on' }), signUp('bob@example.com', { a: 'on' })]

    const refused = await executeBatch(events, bulk)

    expect(refused.map((r) => r.status)).toEqual([400, 400])
    expect(refused[0]).toMatchObject({
      errormessage: expect.stringContaining('ERROR_INVALID_PARAMETER: An invalid value was supplied.')
    })

    nock(API)
      .post(importPath(123))
      .reply(503, { status: 503, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Try again.' })

    const unavailable = await executeBatch(events, bulk)

    expect(unavailable.map((r) => r.status)).toEqual([503, 503])
  })
})
