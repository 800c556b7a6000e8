import type { SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import { ImportBody, withCsv } from '../e2e/bulk-scenarios'
import { ACCESS_TOKEN, API, isolateNetwork } from './fixtures'
import { accept, contactPath, Multistatus, runBatch, runBatchWithOAuth, runSingle } from './routes'

/**
 * Create or Update Contact and Unsubscribe Contact sending large batches in list imports
 * (`POST /List/{listId}/ListImport`), through actions-core's real mapping, validation and performBatch.
 */

isolateNetwork()

const importPath = (listId: number) => `/email/v1/List/${listId}/ListImport`

/** Records each import posted to the list, with its CSV decoded (`csv`), and answers 201 with import IDs 9001, 9002 … */
function acceptImports(listId = 12345) {
  const received: (ImportBody & { csv: string })[] = []
  nock(API)
    .post(importPath(listId))
    .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
    .matchHeader('content-type', 'application/json')
    .times(20)
    .reply((_uri, body) => {
      received.push(withCsv(body as ImportBody))
      return [201, { status: 201, resourceId: String(9000 + received.length) }]
    })
  return received
}

/** A track event of a contact, without a userId (so without an external ID), with `properties`. */
const event = (email: string, properties: Record<string, unknown> = {}) =>
  ({
    type: 'track',
    event: 'Profile Sync',
    // actions-core's test events have a userId unless the event says otherwise.
    userId: undefined,
    properties,
    context: { traits: { email } }
  }) as Partial<SegmentEvent>

const contacts = (n: number, properties: Record<string, unknown> = { vip: true }) =>
  Array.from({ length: n }, (_, i) => event(`user${i}@example.com`, properties))

const UPSERT = 'upsertContact'
const UNSUBSCRIBE = 'unsubscribeContact'
/** Design scenario 1's mapping: subscribe, one check box from the event, imports from two contacts. */
const bulkMapping = {
  listId: 12345,
  subscriptionState: 'Subscribed',
  profileFieldValues: { '6789': { '@path': '$.properties.vip' } },
  bulk_import: 'add_and_update',
  bulk_min_contacts: 2
}

const statuses = (results: Multistatus) => [...new Set(results.map((r) => r.status))]
const bodyOf = (r: Multistatus[number]) => r.body as { resourceId?: string; via?: string; outcome?: string }

describe('Create or Update Contact in list imports', () => {
  it('sends two contacts as one ListImport, exactly as the design says, and no contact request', async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    const results = await runBatch(
      UPSERT,
      [event('jane@example.com', { vip: true }), event('john@example.com', { vip: false })],
      bulkMapping
    )

    expect(imports).toEqual([
      {
        fileName: 'segment-12345-fd07c7320c48.csv',
        fileDelimiter: ',',
        textQualifier: '"',
        hasColumnNames: true,
        importType: 'AddSubscribersAndSegmentationData',
        segmentationImportType: 'Update',
        suppressEmailNotifications: true,
        triggerJourney: false,
        fileMappings: [
          { fileColumn: 0, fileColumnType: 'Email' },
          { fileColumn: 1, fileColumnType: 'SegmentationField', segmentationFieldId: 6789 }
        ],
        fileStream: 'RW1haWwsNjc4OQ0KamFuZUBleGFtcGxlLmNvbSxvbg0Kam9obkBleGFtcGxlLmNvbSxvZmYNCg==',
        csv: 'Email,6789\r\njane@example.com,on\r\njohn@example.com,off\r\n'
      }
    ])
    expect(direct).toEqual([])
    expect(results).toEqual([
      {
        status: 201,
        sent: {
          listId: 12345,
          emailAddress: 'jane@example.com',
          importType: 'AddSubscribersAndSegmentationData',
          segmentationImportType: 'Update',
          values: { '6789': 'on' },
          row: 'jane@example.com,on'
        },
        body: {
          status: 201,
          resourceId: '9001',
          via: 'ListImport',
          importType: 'AddSubscribersAndSegmentationData',
          outcome: 'pending'
        }
      },
      expect.objectContaining({ status: 201, body: expect.objectContaining({ resourceId: '9001' }) })
    ])
  })

  it('sends 1,000 contacts in one import of 1,000 rows, and answers every event 201', async () => {
    const imports = acceptImports()
    const results = await runBatch(UPSERT, contacts(1000), { ...bulkMapping, bulk_min_contacts: undefined })
    expect(imports).toHaveLength(1)
    expect(imports[0].csv.split('\r\n').slice(1, -1)).toHaveLength(1000)
    expect(results).toHaveLength(1000)
    expect(statuses(results)).toEqual([201])
    expect(new Set(results.map((r) => bodyOf(r).resourceId))).toEqual(new Set(['9001']))
  })

  it('imports 998 contacts and sends the 2 with events to raise one request each', async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    const events = contacts(1000)
    events[10] = event('raise1@example.com', { vip: true, events: [3001] })
    events[500] = event('raise2@example.com', { vip: true, events: [3001] })
    const results = await runBatch(UPSERT, events, {
      ...bulkMapping,
      eventIds: { '@path': '$.properties.events' },
      bulk_min_contacts: 100
    })
    expect(imports).toHaveLength(1)
    expect(imports[0].csv.split('\r\n').slice(1, -1)).toHaveLength(998)
    expect(imports[0].csv).not.toContain('raise')
    expect(direct.map((r) => [(r.body as { emailAddress: string }).emailAddress, r.query])).toEqual(
      expect.arrayContaining([
        ['raise1@example.com', { eventIds: '3001' }],
        ['raise2@example.com', { eventIds: '3001' }]
      ])
    )
    expect(direct).toHaveLength(2)
    expect(statuses(results)).toEqual([201])
    expect(bodyOf(results[10])).toEqual({ status: 201, resourceId: expect.stringMatching(/^r-[12]$/) })
    expect(bodyOf(results[0]).via).toBe('ListImport')
  })

  it("never splits a contact: one event with a double opt-in sends all the contact's events, in order", async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    const results = await runBatch(
      UPSERT,
      [
        event('jane@example.com', { vip: true }),
        event('john@example.com', { vip: true }),
        event('ann@example.com', { vip: false }),
        event('Jane@example.com', { vip: false, doi: true })
      ],
      { ...bulkMapping, sendDoubleOptIn: { '@path': '$.properties.doi' } }
    )
    expect(imports[0].csv).toBe('Email,6789\r\njohn@example.com,on\r\nann@example.com,off\r\n')
    expect(direct).toEqual([
      { query: {}, body: expect.objectContaining({ emailAddress: 'jane@example.com' }) },
      { query: { sendDoubleOptIn: 'true' }, body: expect.objectContaining({ emailAddress: 'Jane@example.com' }) }
    ])
    expect(results.map((r) => bodyOf(r).via ?? 'Contact')).toEqual(['Contact', 'ListImport', 'ListImport', 'Contact'])
  })

  it.each([
    ['below the threshold', { bulk_min_contacts: 100 }],
    ['with bulk imports off', { bulk_import: 'off', bulk_min_contacts: 2 }],
    ['with the default', { bulk_import: undefined, bulk_min_contacts: undefined }]
  ])('sends 99 contacts one request each %s, as before', async (_, more) => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345), 100)
    const results = await runBatch(UPSERT, contacts(99), { ...bulkMapping, ...more })
    expect(imports).toEqual([])
    expect(direct).toHaveLength(99)
    expect(statuses(results)).toEqual([201])
  })

  it('keeps one event through perform a request of its own, with bulk imports on', async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    const result = await runSingle(UPSERT, event('jane@example.com', { vip: true }), bulkMapping)
    expect(imports).toEqual([])
    expect(direct).toHaveLength(1)
    expect(result).toEqual({ listId: 12345, status: 201, resourceId: 'r-1' })
  })

  it('sends one import per set of columns under Overwrite, with no empty cell; a value with a quote goes alone', async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    const results = await runBatch(
      UPSERT,
      [
        event('a@example.com', { vip: true }),
        event('b@example.com', { vip: true, tier: 'Gold' }),
        event('c@example.com', { vip: false }),
        event('d@example.com', { vip: false, tier: 'Silver, old' }),
        event('e@example.com', { vip: true, tier: 'the "best"' })
      ],
      {
        ...bulkMapping,
        updateType: 'Overwrite',
        profileFieldValues: { '6789': { '@path': '$.properties.vip' }, '7001': { '@path': '$.properties.tier' } }
      }
    )
    expect(imports.map((i) => [i.segmentationImportType, i.csv])).toEqual([
      ['Overwrite', 'Email,6789\r\na@example.com,on\r\nc@example.com,off\r\n'],
      ['Overwrite', 'Email,6789,7001\r\nb@example.com,on,Gold\r\nd@example.com,off,"Silver, old"\r\n']
    ])
    expect(direct).toEqual([
      {
        query: { updateType: 'Overwrite' },
        body: expect.objectContaining({ emailAddress: 'e@example.com' })
      }
    ])
    expect(results.map((r) => bodyOf(r).resourceId)).toEqual(['9001', '9002', '9001', '9002', 'r-1'])
  })

  it('updates only contacts on the list under update_only, unsubscribed ones too', async () => {
    const imports = acceptImports()
    await runBatch(UPSERT, contacts(2), { ...bulkMapping, subscriptionState: undefined, bulk_import: 'update_only' })
    expect(imports[0]).toMatchObject({ importType: 'UpdateSubscribers', includeUnsubscribed: true })
  })

  it("fails an import's events with Listrak's 400 and its code; the contacts sent on their own are not affected", async () => {
    nock(API)
      .post(importPath(12345))
      .reply(400, { status: 400, error: 'ERROR_INVALID_PARAMETER', message: 'An invalid value was supplied for File.' })
    accept(contactPath(12345))
    const results = await runBatch(
      UPSERT,
      [...contacts(2), event('raise@example.com', { vip: true, events: [3001] })],
      { ...bulkMapping, eventIds: { '@path': '$.properties.events' } }
    )
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [400, 'BAD_REQUEST'],
      [400, 'BAD_REQUEST'],
      [201, 'ok']
    ])
    expect(results[0].errormessage).toMatch(
      /^Listrak refused the list import segment-12345-[0-9a-f]{12}\.csv for list 12345 \(HTTP 400 ERROR_INVALID_PARAMETER: An invalid value was supplied for File\.\)/
    )
    expect(results[0].sent).toMatchObject({ emailAddress: 'user0@example.com', row: 'user0@example.com,on' })
  })

  it('says what a 404 means for an import: an unknown list, or an import too large', async () => {
    nock(API)
      .post(importPath(12345))
      .reply(404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message: 'No list.' })
    const [result] = await runBatch(UPSERT, contacts(2), bulkMapping)
    expect(result).toMatchObject({ status: 404, errortype: 'NOT_FOUND' })
    expect(result.errormessage).toContain(
      'the list does not exist for these API credentials, or the import was too large'
    )
  })

  it('leaves the events of an import Listrak answers 503 retryable; the retried batch sends the same file', async () => {
    const names: string[] = []
    nock(API)
      .post(importPath(12345), (body: ImportBody) => (names.push(body.fileName), true))
      .reply(503, { status: 503, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Try again.' })
    const events = contacts(3)
    const first = await runBatch(UPSERT, events, bulkMapping)
    expect(first.map((r) => [r.status, r.errortype])).toEqual(Array(3).fill([503, 'SERVICE_UNAVAILABLE']))
    expect(first[0].errormessage).toContain('it will be retried')

    const imports = acceptImports()
    const retried = await runBatch(UPSERT, events, bulkMapping)
    expect(statuses(retried)).toEqual([201])
    expect(imports.map((i) => i.fileName)).toEqual(names)
  })

  it('leaves the events retryable when the import cannot reach Listrak', async () => {
    nock(API)
      .post(importPath(12345))
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    const results = await runBatch(UPSERT, contacts(2), bulkMapping)
    expect(results.map((r) => [r.status, r.errortype])).toEqual(Array(2).fill([500, 'RETRYABLE_ERROR']))
  })

  it('sends the import again with a new token after a 401, as a contact request is', async () => {
    const tokens: string[] = []
    nock(API)
      .post(importPath(12345))
      .times(2)
      .reply(function () {
        const token = String(this.req.headers.authorization)
        tokens.push(token)
        return token === 'Bearer fresh-token'
          ? [201, { status: 201, resourceId: '9001' }]
          : [401, { status: 401, error: 'ERROR_UNAUTHORIZED', message: 'Authorization was denied for this request.' }]
      })
    nock('https://auth.listrak.com').post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })
    const results = await runBatchWithOAuth(UPSERT, contacts(2) as never, bulkMapping)
    expect(tokens).toEqual([`Bearer ${ACCESS_TOKEN}`, 'Bearer fresh-token'])
    expect(statuses(results)).toEqual([201])
  })

  it('has at most Requests in Flight requests at once, imports and contact requests together', async () => {
    let inFlight = 0
    let most = 0
    const slowly = (resourceId: string) => async () => {
      most = Math.max(most, ++inFlight)
      await new Promise((resolve) => setTimeout(resolve, 20))
      inFlight--
      return [201, { status: 201, resourceId }] as [number, object]
    }
    nock(API).post(importPath(12345)).times(3).reply(slowly('9001'))
    nock(API).post(contactPath(12345)).query(true).times(3).reply(slowly('r-1'))
    // Three imports (two sets of columns and two update types) and three contacts with events to raise.
    const events = [
      ...contacts(2),
      ...contacts(2, { vip: true, tier: 'Gold' }).map((e, i) => ({
        ...e,
        context: { traits: { email: `g${i}@x.io` } }
      })),
      ...contacts(2, { vip: true, append: true }).map((e, i) => ({
        ...e,
        context: { traits: { email: `a${i}@x.io` } }
      })),
      ...[1, 2, 3].map((n) => event(`raise${n}@example.com`, { vip: true, events: [3001] }))
    ]
    const results = await runBatch(UPSERT, events, {
      ...bulkMapping,
      profileFieldValues: { '6789': { '@path': '$.properties.vip' }, '7001': { '@path': '$.properties.tier' } },
      eventIds: { '@path': '$.properties.events' },
      updateType: { '@if': { exists: { '@path': '$.properties.append' }, then: 'Append', else: 'Update' } },
      max_concurrent_requests: 2
    })
    expect(statuses(results)).toEqual([201])
    expect(results.map((r) => bodyOf(r).via ?? 'Contact')).toEqual([
      ...Array(6).fill('ListImport'),
      ...Array(3).fill('Contact')
    ])
    expect(most).toBe(2)
  })
})

describe('Unsubscribe Contact in list imports', () => {
  const mapping = { listId: 12345, bulk_import: true }

  it('unsubscribes 500 contacts in one RemoveSubscribers import of one Email column; every event 201', async () => {
    const imports = acceptImports()
    const results = await runBatch(UNSUBSCRIBE, contacts(500, {}), mapping)
    expect(imports).toHaveLength(1)
    expect(imports[0]).toMatchObject({
      importType: 'RemoveSubscribers',
      segmentationImportType: 'Update',
      fileMappings: [{ fileColumn: 0, fileColumnType: 'Email' }]
    })
    expect(imports[0]).not.toHaveProperty('includeUnsubscribed')
    expect(imports[0].csv.split('\r\n').slice(0, 3)).toEqual(['Email', 'user0@example.com', 'user1@example.com'])
    expect(results).toHaveLength(500)
    expect(statuses(results)).toEqual([201])
    expect(results[0].body).toEqual({
      status: 201,
      resourceId: '9001',
      via: 'ListImport',
      importType: 'RemoveSubscribers',
      outcome: 'pending'
    })
    expect(results[0].sent).toEqual({
      listId: 12345,
      emailAddress: 'user0@example.com',
      importType: 'RemoveSubscribers',
      segmentationImportType: 'Update',
      values: {},
      row: 'user0@example.com'
    })
  })

  it('sends a contact with an external ID one request, which counts a contact not subscribed as done', async () => {
    const imports = acceptImports()
    nock(API)
      .post(contactPath(12345))
      .reply(400, { status: 400, error: 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS', message: 'Not subscribed.' })
    const results = await runBatch(
      UNSUBSCRIBE,
      [...contacts(2, {}), { ...event('jane@example.com'), userId: 'user-jane' }],
      { ...mapping, bulk_min_contacts: 2, externalContactID: { '@path': '$.userId' } }
    )
    expect(imports[0].csv).toBe('Email\r\nuser0@example.com\r\nuser1@example.com\r\n')
    expect(results.map((r) => r.status)).toEqual([201, 201, 200])
    expect(results[2].body).toEqual({ status: 200, unchanged: 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS' })
  })

  it('sends every contact one request each with bulk imports off, the default', async () => {
    const imports = acceptImports()
    const direct = accept(contactPath(12345))
    await runBatch(UNSUBSCRIBE, contacts(3, {}), { listId: 12345 })
    expect(imports).toEqual([])
    expect(direct).toHaveLength(3)
  })
})
