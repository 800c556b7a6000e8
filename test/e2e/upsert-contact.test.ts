import { listFieldCache } from '../../src/profile-fields/definitions'
import { useSandbox } from '../sandbox/client'
import { listrakApi } from '../sandbox/listrak-api'
import { runBatch, runEvent, track } from './actions'

/** Create or Update Contact through actions-core's real Destination, against the sandbox over loopback. */

const { current, start } = useSandbox({ asListrak: true })

beforeEach(() => listFieldCache.clear())

/** A fresh sandbox, a token a runtime would already hold, and Listrak's routes to read what the action did. */
async function setup() {
  await start()
  const token = await current.api.token()
  return { token, api: listrakApi(current.sandbox, token) }
}

/** Each event says what it asks: its profile fields, events, subscription, update type and new address. */
const PER_EVENT = {
  listId: 12345,
  profileFieldValues: { '@path': '$.properties.fields' },
  eventIds: { '@path': '$.properties.events' },
  subscriptionState: { '@path': '$.properties.state' },
  updateType: { '@path': '$.properties.updateType' },
  newEmailAddress: { '@path': '$.properties.newEmail' }
}

const contactPosts = () =>
  current.sandbox.state.requests.all.filter(
    (r) => r.method === 'POST' && /^\/email\/v1\/List\/12345\/Contact(\?|$)/.test(r.path)
  )

const values = (...fields: [number, string][]) =>
  fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))

describe('Create or Update Contact, one event (perform)', () => {
  it('creates a subscribed contact with its external ID, profile fields and raised event', async () => {
    const { token, api } = await setup()
    const result = await runEvent(
      'upsertContact',
      track('jane@example.com', { store: 'Downtown', points: 1250 }),
      {
        listId: 12345,
        subscriptionState: 'Subscribed',
        profileFieldValues: { '7001': { '@path': '$.properties.store' }, '7003': { '@path': '$.properties.points' } },
        eventIds: [3001]
      },
      token
    )
    expect(result).toEqual({ ok: true, data: { listId: 12345, status: 201, resourceId: 'jane@example.com' } })

    const read = await api.getContact('jane@example.com', '?segmentationFieldIds=7001,7003')
    expect(read.status).toBe(200)
    expect(read.json.data).toMatchObject({
      emailAddress: 'jane@example.com',
      subscriptionState: 'Subscribed',
      subscribeMethod: 'API',
      unsubscribeDate: null,
      externalContactID: 'user-jane@example.com',
      segmentationFieldValues: [
        expect.objectContaining({ segmentationFieldId: 7001, value: 'Downtown' }),
        expect.objectContaining({ segmentationFieldId: 7003, value: '1250' })
      ]
    })
    expect((await api.contactDetails())['jane@example.com'].events).toEqual([
      { eventId: 3001, raisedAt: expect.any(String) }
    ])
  })

  it('throws a PayloadValidationError for a value that does not fit its field; nothing reaches the contact route', async () => {
    const { token, api } = await setup()
    const result = await runEvent(
      'upsertContact',
      track('jane@example.com', { fields: { '7003': 'lots' } }),
      PER_EVENT,
      token
    )
    expect(result).toMatchObject({
      ok: false,
      error: { name: 'PayloadValidationError', message: expect.stringContaining('field 7003') }
    })
    expect(contactPosts()).toHaveLength(0)
    expect((await api.getContact('jane@example.com')).status).toBe(404)
  })

  it("throws an IntegrationError with Listrak's code for an event ID the list does not have", async () => {
    const { token, api } = await setup()
    const result = await runEvent('upsertContact', track('jane@example.com', { events: [9999] }), PER_EVENT, token)
    expect(result).toMatchObject({
      ok: false,
      error: { name: 'IntegrationError', status: 400, message: expect.stringContaining('ERROR_INVALID_PARAMETER') }
    })
    expect((await api.getContact('jane@example.com')).status).toBe(404)
  })
})

describe('Create or Update Contact, batches (performBatch)', () => {
  it('creates each contact with its own request, the query options recorded', async () => {
    const { token, api } = await setup()
    const emails = ['ann@example.com', 'bob@example.com', 'cy@example.com']
    const results = await runBatch(
      'upsertContact',
      emails.map((email, i) => track(email, { fields: { '7001': `Store ${i}`, '6789': 'on' }, events: [3001] })),
      { ...PER_EVENT, subscriptionState: 'Subscribed', subscribedByContact: true, sendDoubleOptIn: true },
      token
    )
    expect(results).toEqual(
      emails.map((email, i) => ({
        status: 201,
        sent: {
          listId: 12345,
          emailAddress: email,
          subscriptionState: 'Subscribed',
          externalContactID: `user-${email}`,
          segmentationFieldValues: values([6789, 'on'], [7001, `Store ${i}`]),
          query: { eventIds: '3001', subscribedByContact: 'true', sendDoubleOptIn: 'true' }
        },
        body: { status: 201, resourceId: email }
      }))
    )
    expect(contactPosts()).toHaveLength(3)
    const details = await api.contactDetails()
    emails.forEach((email, i) =>
      expect(details[email]).toMatchObject({
        subscriptionState: 'Subscribed',
        subscribeMethod: 'API, by the contact',
        externalContactID: `user-${email}`,
        fields: { '7001': `Store ${i}`, '6789': 'on' },
        events: [{ eventId: 3001, raisedAt: expect.any(String) }],
        doubleOptInSentAt: expect.any(String)
      })
    )
  })

  it('answers a batch of bad and good events per event; only the good ones change the sandbox', async () => {
    const { token, api } = await setup()
    const results = await runBatch(
      'upsertContact',
      [
        track('jane@example.com', { fields: { '7001': 'Downtown' } }),
        track('not-an-email', { fields: { '7001': 'Downtown' } }),
        track('unknown-field@example.com', { fields: { '8801': 'on' } }),
        track('bad-value@example.com', { fields: { '7003': 'lots' } }),
        track('unknown-event@example.com', { events: [9999] }),
        track('unsubscribe-with-values@example.com', { state: 'Unsubscribed', fields: { '7001': 'Downtown' } }),
        track('john@example.com', { fields: { '7003': 42 }, events: [3002] }),
        track('bad-key@example.com', { fields: { abc: 'x' } })
      ],
      PER_EVENT,
      token
    )
    expect(results.map((r) => r.status)).toEqual([201, 400, 400, 400, 400, 400, 201, 201])
    expect(results[1].errormessage).toBe('Email Address "not-an-email" is not a valid email address.')
    expect(results[2].errormessage).toBe('Profile Field Values: list 12345 has no profile field 8801.')
    expect(results[3].errormessage).toContain('field 7003')
    expect(results[3].errormessage).toContain('"lots"')
    // Listrak's own refusal: it reached the sandbox, so it shows what was sent.
    expect(results[4]).toMatchObject({
      errormessage: expect.stringContaining('ERROR_INVALID_PARAMETER'),
      sent: { emailAddress: 'unknown-event@example.com', query: { eventIds: '9999' } }
    })
    expect(results[5].errormessage).toContain('ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA')
    expect(results[5].sent).toBeUndefined()
    // A key that is no profile field ID is left out, and named; the contact itself is still created.
    expect(results[7].sent).toMatchObject({ emailAddress: 'bad-key@example.com', ignoredProfileFieldKeys: ['abc'] })

    // Two requests refused by the destination never left; the unknown event's did and was refused.
    expect(contactPosts()).toHaveLength(4)
    const details = await api.contactDetails()
    expect(Object.keys(details).sort()).toEqual(['bad-key@example.com', 'jane@example.com', 'john@example.com'])
    expect(details['bad-key@example.com'].fields).toEqual({})
    expect(details['jane@example.com'].fields).toEqual({ '7001': 'Downtown' })
    expect(details['john@example.com']).toMatchObject({
      fields: { '7003': '42' },
      events: [{ eventId: 3002, raisedAt: expect.any(String) }]
    })
  })

  it('merges events for one address (any case) into one request: the later wins per field, events add up', async () => {
    const { token, api } = await setup()
    const results = await runBatch(
      'upsertContact',
      [
        track('Jane@Example.com', { fields: { '7001': 'Downtown', '7003': 1 }, events: [3001] }),
        track('john@example.com', { fields: { '7001': 'Harbour' } }),
        track('jane@example.com', { fields: { '7003': 2 } }),
        track('JANE@example.com', { fields: { '7001': 'Uptown' }, events: [3002, 3001] })
      ],
      PER_EVENT,
      token
    )
    expect(contactPosts()).toHaveLength(2)
    const merged = {
      listId: 12345,
      emailAddress: 'Jane@Example.com',
      externalContactID: 'user-JANE@example.com',
      segmentationFieldValues: values([7001, 'Uptown'], [7003, '2']),
      query: { eventIds: '3001,3002' }
    }
    for (const index of [0, 2, 3]) expect(results[index]).toMatchObject({ status: 201, sent: merged })
    expect(results[1]).toMatchObject({ status: 201, sent: { emailAddress: 'john@example.com' } })

    const jane = (await api.contactDetails())['jane@example.com']
    expect(jane).toMatchObject({
      fields: { '7001': 'Uptown', '7003': '2' },
      externalContactID: 'user-JANE@example.com'
    })
    expect((jane.events as { eventId: number }[]).map((e) => e.eventId)).toEqual([3001, 3002])
  })

  it('keeps an unsubscribed contact unsubscribed unless Override Unsubscribe is on; its fields still change', async () => {
    const { token, api } = await setup()
    const subscribe = (fields: Record<string, unknown>, mapping: Record<string, unknown> = {}) =>
      runBatch('upsertContact', [track('jane@example.com', { fields })], { ...PER_EVENT, ...mapping }, token)
    expect((await subscribe({ '7001': 'A' }, { subscriptionState: 'Subscribed' }))[0].status).toBe(201)
    const unsubscribed = await runBatch('unsubscribeContact', [track('jane@example.com')], { listId: 12345 }, token)
    expect(unsubscribed[0].status).toBe(201)

    expect((await subscribe({ '7001': 'B' }, { subscriptionState: 'Subscribed' }))[0].status).toBe(201)
    let read = await api.getContact('jane@example.com', '?segmentationFieldIds=7001')
    expect(read.json.data).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: expect.any(String),
      segmentationFieldValues: [expect.objectContaining({ segmentationFieldId: 7001, value: 'B' })]
    })

    // Events are not raised for a contact who stays unsubscribed: Listrak's refusal, for that event.
    const withEvents = await runBatch(
      'upsertContact',
      [track('jane@example.com', { events: [3001] })],
      { ...PER_EVENT, subscriptionState: 'Subscribed' },
      token
    )
    expect(withEvents[0]).toMatchObject({
      status: 400,
      errormessage: expect.stringContaining('ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS')
    })

    const override = await subscribe({ '7001': 'C' }, { subscriptionState: 'Subscribed', overrideUnsubscribe: true })
    expect(override[0]).toMatchObject({ status: 201, sent: { query: { overrideUnsubscribe: 'true' } } })
    read = await api.getContact('jane@example.com', '?segmentationFieldIds=7001')
    expect(read.json.data).toMatchObject({
      subscriptionState: 'Subscribed',
      resubscribeDate: expect.any(String),
      unsubscribeDate: null,
      segmentationFieldValues: [expect.objectContaining({ value: 'C' })]
    })
    expect((await api.contactDetails())['jane@example.com'].events).toEqual([])
  })

  it('sends subscribe, unsubscribe, subscribe for one contact as three requests, in order: it ends unsubscribed', async () => {
    const { token, api } = await setup()
    const results = await runBatch(
      'upsertContact',
      [
        track('ann@example.com', { state: 'Subscribed', fields: { '7001': 'X' } }),
        track('ann@example.com', { state: 'Unsubscribed' }),
        track('ann@example.com', { state: 'Subscribed', fields: { '7001': 'Y' } })
      ],
      PER_EVENT,
      token
    )
    expect(results.map((r) => [r.status, r.sent?.subscriptionState])).toEqual([
      [201, 'Subscribed'],
      [201, 'Unsubscribed'],
      [201, 'Subscribed']
    ])
    expect(contactPosts()).toHaveLength(3)
    expect((await api.contactDetails())['ann@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      resubscribeDate: null,
      fields: { '7001': 'Y' }
    })
  })

  it('Append fills only empty fields and never merges; Update merges and overwrites', async () => {
    const { token, api } = await setup()
    const batch = (...events: Record<string, unknown>[]) =>
      runBatch(
        'upsertContact',
        events.map((properties) => track('jane@example.com', properties)),
        PER_EVENT,
        token
      )
    await batch({ fields: { '7001': 'Downtown' } })

    const appended = await batch(
      { updateType: 'Append', fields: { '7001': 'Uptown', '7003': 5 } },
      { updateType: 'Append', fields: { '7003': 9 } }
    )
    expect(appended.map((r) => [r.status, r.sent?.query])).toEqual([
      [201, { updateType: 'Append' }],
      [201, { updateType: 'Append' }]
    ])
    expect(contactPosts()).toHaveLength(3)
    expect((await api.contactDetails())['jane@example.com'].fields).toEqual({ '7001': 'Downtown', '7003': '5' })

    const updated = await batch(
      { updateType: 'Update', fields: { '7001': 'Uptown', '7003': 7 } },
      { updateType: 'Update', fields: { '7003': 8 } }
    )
    expect(updated.map((r) => r.status)).toEqual([201, 201])
    expect(updated[0].sent).toEqual(updated[1].sent)
    expect(contactPosts()).toHaveLength(4)
    expect((await api.contactDetails())['jane@example.com'].fields).toEqual({ '7001': 'Uptown', '7003': '8' })
  })

  it('changes an address with New Email Address, then updates the contact under it, in order', async () => {
    const { token, api } = await setup()
    await runBatch('upsertContact', [track('jane@example.com', { fields: { '7001': 'Downtown' } })], PER_EVENT, token)
    const before = (await api.getContact('jane@example.com')).json.data as unknown as { emailKey: string }

    const single = await runEvent(
      'upsertContact',
      track('jane@example.com', { newEmail: 'jane.doe@example.com' }),
      PER_EVENT,
      token
    )
    expect(single).toMatchObject({ ok: true, data: { status: 201 } })
    expect((await api.getContact('jane@example.com')).status).toBe(404)
    const renamed = await api.getContact('jane.doe@example.com', '?segmentationFieldIds=7001')
    expect(renamed.json.data).toMatchObject({
      emailAddress: 'jane.doe@example.com',
      emailKey: before.emailKey,
      segmentationFieldValues: [expect.objectContaining({ value: 'Downtown' })]
    })

    const results = await runBatch(
      'upsertContact',
      [
        track('ann@example.com', { fields: { '7001': 'Harbour' } }),
        track('ann@example.com', { newEmail: 'ann.new@example.com' }),
        track('ann.new@example.com', { fields: { '7003': 3 }, events: [3001] }),
        track('bob@example.com', { newEmail: 'bob.new@example.com', fields: { '7001': 'X' } })
      ],
      PER_EVENT,
      token
    )
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 400])
    expect(results[1].sent).toMatchObject({ query: { newEmailAddress: 'ann.new@example.com' } })
    expect(results[3].errormessage).toContain('ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA')
    const details = await api.contactDetails()
    expect(details['ann@example.com']).toBeUndefined()
    expect(details['ann.new@example.com']).toMatchObject({
      fields: { '7001': 'Harbour', '7003': '3' },
      events: [{ eventId: 3001, raisedAt: expect.any(String) }]
    })
    expect(details['bob.new@example.com']).toBeUndefined()
  })

  it("holds a contact's later request behind a retryable failure; re-running the failed events applies both once", async () => {
    const { token, api } = await setup()
    const events = [
      track('ann@example.com', { state: 'Subscribed', events: [3001] }),
      track('ann@example.com', { state: 'Unsubscribed' }),
      track('bob@example.com', { state: 'Subscribed' })
    ]
    await current.api.call('POST', '/_sandbox/faults', {
      body: JSON.stringify({ failNext: { count: 1, status: 503 } })
    })
    // One request in flight at a time, so that ann's first request is the one that meets the 503.
    const mapping = { ...PER_EVENT, max_concurrent_requests: 1 }
    const first = await runBatch('upsertContact', events, mapping, token)
    expect(first[0]).toMatchObject({ status: 503, sent: { emailAddress: 'ann@example.com' } })
    expect(first[1]).toMatchObject({ status: 503, errormessage: expect.stringMatching(/^Not sent: /) })
    expect(first[1].sent).toBeUndefined()
    expect(first[2].status).toBe(201)
    expect((await api.contactDetails())['ann@example.com']).toBeUndefined()

    const again = await runBatch('upsertContact', events.slice(0, 2), mapping, token)
    expect(again.map((r) => r.status)).toEqual([201, 201])
    expect((await api.contactDetails())['ann@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      events: [{ eventId: 3001, raisedAt: expect.any(String) }]
    })
  })
})
