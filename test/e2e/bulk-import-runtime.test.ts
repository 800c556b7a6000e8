import { createHash } from 'crypto'
import type { SegmentEvent } from '@segment/actions-core'
import { startSandbox, Sandbox } from '../../sandbox'
import { listFieldCache } from '../../src/profile-fields/definitions'
import { startTestRuntime } from '../runtime/harness'
import { fetchToken } from '../sandbox/client'
import { importFile, listrakApi } from '../sandbox/listrak-api'
import { waitFor } from '../wait'
import {
  addresses,
  BulkBatch,
  checkBox,
  CONTACT_ROUTE,
  filesOf,
  ImportBody,
  LIST_IMPORT_PATH,
  SandboxListImport,
  SCENARIOS,
  sandboxViews,
  unevenRows,
  withCsv
} from './bulk-scenarios'
import { ListrakTap, startTap } from './listrak-tap'

/**
 * The design's list import scenarios (C.6, 1 to 8) through the runtime: one subscription maps Create or Update
 * Contact (Unsubscribe Contact for 6) with Bulk Import Large Batches on, the events come to the runtime's /v1/batch
 * as Segment sends them, and the runtime delivers them to the sandbox on loopback, through a tap that keeps the
 * request bodies. Each test reads what the sandbox took (its requests and list imports, and the bodies at the tap),
 * what the runtime settled (its /stats, its dead letters, its log) and the contacts once the imports are applied.
 */

// A 1,000-event batch is prepared, imported and followed up in about a second; a loaded machine may take several.
jest.setTimeout(30_000)
const SETTLE_MS = 15_000

beforeEach(() => listFieldCache.clear())

/** What the running test started, stopped after it, last started first: the runtime, the tap, the sandbox. */
const running: (() => Promise<unknown>)[] = []
afterEach(async () => {
  const failures: unknown[] = []
  for (const stop of running.splice(0).reverse()) {
    try {
      await stop()
    } catch (error) {
      failures.push(error)
    }
  }
  if (failures.length > 0) throw failures[0]
})

let sandbox: Sandbox
const { listImports, appliedImports, contactPosts, importPosts, injectFaults, expectRefusedImportSeen } = sandboxViews(
  () => sandbox.url
)

/** A sandbox (with `faults`), a tap in front of it, and the sandbox's contacts and routes for the test's own use. */
async function setup(faults: Record<string, unknown> = {}) {
  sandbox = await startSandbox({ faults })
  running.push(() => sandbox.stop())
  const tap = await startTap(sandbox)
  running.push(() => tap.stop())
  const api = listrakApi(sandbox, await fetchToken(sandbox.authUrl))
  return { tap, api }
}

interface Stats {
  delivered: number
  deadLettered: number
  refused: number
  retried: number
  queueDepth: number
  importsPerList: Record<string, number>
  listImports: Record<string, number>
  reasons: Record<string, { count: number; example: string }>
}

let messages = 0

/**
 * The event as Segment sends it to /v1/batch: with an anonymousId, which Segment requires when there is no userId
 * (the scenarios have none, so no external ID), and a messageId of its own.
 */
const asSent = (event: Partial<SegmentEvent>) => ({
  ...event,
  anonymousId: `anonymous-${String(event.context?.traits?.email)}`,
  messageId: `bulk-${++messages}`
})

/**
 * A runtime sending to the sandbox through `tap`, with one subscription: every track event through the batch's
 * action and mapping, batching on. A batch goes as soon as it has `batchSize` events (the flush interval is longer
 * than any test), so that a busy machine never splits one: a part below the threshold would go contact by contact.
 * Retries and import follow-ups are quick.
 */
async function startRuntime(tap: ListrakTap, { action, mapping }: BulkBatch, batchSize: number) {
  const h = await startTestRuntime({
    settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
    listrak: { authUrl: tap.authUrl, apiUrl: tap.apiUrl },
    subscriptions: [
      {
        name: 'bulk',
        subscribe: 'type = "track"',
        partnerAction: action,
        mapping: { ...mapping, enable_batching: true }
      }
    ],
    delivery: { batchSize, flushIntervalMs: 60_000, retryBaseMs: 50, retryMaxMs: 200 },
    imports: { firstPollMs: 20, maxPollMs: 100 },
    queue: { memory: true }
  })
  running.push(() => h.runtime.stop())
  const stats = async () => (await (await fetch(`${h.runtime.url}/stats`)).json()) as Stats
  return {
    h,
    stats,
    /** Posts the events to /v1/batch in one request, as Segment does; the runtime takes them all. */
    send: async (events: Partial<SegmentEvent>[]) => {
      const answer = await h.post('/v1/batch', { batch: events.map(asSent) })
      expect([answer.status, await answer.json()]).toEqual([200, { success: true, accepted: events.length }])
    },
    /**
     * The runtime's reports of the `imports` list imports it followed up, newest first: which import, how many of
     * the events it delivered went in it (`rows`) and how many Listrak refused.
     */
    reports: (imports: number) =>
      waitFor(
        `${imports} follow-up report(s)`,
        () => h.runtime.queue.imports.finished(),
        (finished) => finished.length === imports
      ),
    /**
     * The stats once `events` events are settled (delivered or dead-lettered), nothing is queued, and `imports` list
     * imports have been followed up to their end.
     */
    settled: (events: number, imports: number) =>
      waitFor(
        `${events} event(s) settled and ${imports} list import(s) followed up`,
        stats,
        (s) =>
          s.delivered + s.deadLettered >= events &&
          s.queueDepth === 0 &&
          s.listImports.completed === imports &&
          s.listImports.following === 0,
        { timeoutMs: SETTLE_MS }
      )
  }
}

/** A scenario's batch through a runtime of its own: the stats once it is settled and its imports followed up. */
async function deliver(tap: ListrakTap, batch: BulkBatch, imports: number) {
  const run = await startRuntime(tap, batch, batch.events.length)
  await run.send(batch.events)
  return { ...run, settledStats: await run.settled(batch.events.length, imports) }
}

/** What the tap saw of the runtime's writes (its POSTs), in the order they came. */
const posts = (tap: ListrakTap) => tap.sent.filter((r) => r.method === 'POST')

/** The list imports the tap saw, each body as sent and its file decoded (`csv`). */
const importsSent = (tap: ListrakTap) =>
  posts(tap)
    .filter((r) => r.path === LIST_IMPORT_PATH)
    .map((r) => ({ ...r, json: withCsv(JSON.parse(r.body) as ImportBody) }))

/** The contact requests the tap saw, in the order they came: path, address, profile values and Listrak's status. */
const contactsSent = (tap: ListrakTap) =>
  posts(tap)
    .filter((r) => CONTACT_ROUTE.test(r.path))
    .map((r) => {
      const body = JSON.parse(r.body) as {
        emailAddress: string
        segmentationFieldValues?: { segmentationFieldId: number; value: string }[]
      }
      const values = Object.fromEntries(
        (body.segmentationFieldValues ?? []).map((v) => [v.segmentationFieldId, v.value])
      )
      return { path: r.path, emailAddress: body.emailAddress, values, status: r.status }
    })

/** The name the design gives a file: the list and the first 12 hex digits of the SHA-256 of its CSV. */
const designFileName = (csv: string) =>
  `segment-12345-${createHash('sha256').update(csv, 'utf8').digest('hex').slice(0, 12)}.csv`

/** Design scenario 1's request body, byte for byte. */
const SCENARIO_1_BODY =
  '{"fileName":"segment-12345-fd07c7320c48.csv","fileDelimiter":",","textQualifier":"\\"","hasColumnNames":true,' +
  '"importType":"AddSubscribersAndSegmentationData","segmentationImportType":"Update",' +
  '"suppressEmailNotifications":true,"triggerJourney":false,"fileMappings":[{"fileColumn":0,"fileColumnType":"Email"},' +
  '{"fileColumn":1,"fileColumnType":"SegmentationField","segmentationFieldId":6789}],' +
  '"fileStream":"RW1haWwsNjc4OQ0KamFuZUBleGFtcGxlLmNvbSxvbg0Kam9obkBleGFtcGxlLmNvbSxvZmYNCg=="}'

/** The runtime's counts of its follow-ups when `imports` list imports all completed and Listrak took every row. */
const followedUp = (imports: number) => ({
  following: 0,
  followed: imports,
  completed: imports,
  refusedRows: 0,
  timedOut: 0,
  notFound: 0,
  failed: 0,
  unknownRows: 0
})

/** The stats of a run with nothing refused or retried: `events` delivered, in `imports` list imports of list 12345. */
const allDelivered = (events: number, imports: number) => ({
  delivered: events,
  deadLettered: 0,
  retried: 0,
  importsPerList: imports > 0 ? { '12345': imports } : {},
  listImports: followedUp(imports)
})

const rowsOf = (imported: SandboxListImport) => imported.file.rows.map((r) => r.cells)

describe('list import scenarios through the runtime', () => {
  it("1. delivers two contacts in the design's list import, byte for byte, and no contact request", async () => {
    const { tap, api } = await setup()
    const { settledStats, reports } = await deliver(tap, SCENARIOS.twoContacts, 1)

    const [sent, ...otherWrites] = posts(tap)
    expect(otherWrites).toEqual([])
    expect(sent).toMatchObject({ method: 'POST', path: LIST_IMPORT_PATH, status: 201 })
    expect(sent.body).toBe(SCENARIO_1_BODY)
    expect((await importPosts()).map((r) => r.status)).toEqual([201])
    expect(await contactPosts()).toEqual([])

    const [applied, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(applied.file).toMatchObject(SCENARIOS.twoContacts.file)
    expect(applied.results.map((r) => [r.emailAddress, r.importResult])).toEqual([
      ['jane@example.com', 'Subscribed'],
      ['john@example.com', 'Subscribed']
    ])

    // Both events delivered on the one import's 201, with its ID, and the import followed up to its end.
    expect(settledStats).toMatchObject(allDelivered(2, 1))
    expect(await reports(1)).toMatchObject([
      { listId: 12345, importFileId: String(applied.importFileId), outcome: 'completed', rows: 2, refused: 0 }
    ])
    const contacts = await api.contactDetails()
    expect(contacts['jane@example.com']).toMatchObject({ subscriptionState: 'Subscribed', fields: { '6789': 'on' } })
    expect(contacts['john@example.com']).toMatchObject({ subscriptionState: 'Subscribed', fields: { '6789': 'off' } })
  })

  it('2. delivers 1,000 contacts in one import of 1,000 rows; every contact on the list after', async () => {
    const { tap, api } = await setup()
    const emails = addresses(1000)
    const { settledStats, reports } = await deliver(tap, SCENARIOS.thousand, 1)

    const [sent, ...otherImports] = importsSent(tap)
    expect(otherImports).toEqual([])
    expect(sent.status).toBe(201)
    expect(sent.json.csv.split('\r\n')).toEqual(['Email,6789', ...emails.map((e, i) => `${e},${checkBox(i)}`), ''])
    expect(contactsSent(tap)).toEqual([])
    expect(await contactPosts()).toEqual([])
    const [applied, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(applied.file.rows).toHaveLength(1000)
    expect(applied.results.filter((r) => r.importResult !== 'Subscribed')).toEqual([])

    expect(settledStats).toMatchObject(allDelivered(1000, 1))
    expect(await reports(1)).toMatchObject([{ outcome: 'completed', rows: 1000, refused: 0 }])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts)).toHaveLength(1000)
    emails.forEach((email, i) => expect(contacts[email].fields).toEqual({ '6789': checkBox(i) }))
  })

  it('3. imports 998 contacts and sends the 2 with an event to raise one request each, which raise it', async () => {
    const { tap, api } = await setup()
    const { settledStats } = await deliver(tap, SCENARIOS.mixed, 1)

    const [applied, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(applied.file.rows).toHaveLength(998)
    expect(applied.file.rows.filter((r) => r.cells[0].startsWith('raise'))).toEqual([])
    expect((await contactPosts()).map((r) => [r.path, r.status])).toEqual([
      ['/email/v1/List/12345/Contact?eventIds=3001', 201],
      ['/email/v1/List/12345/Contact?eventIds=3001', 201]
    ])
    expect(
      contactsSent(tap)
        .map((r) => r.emailAddress)
        .sort()
    ).toEqual(['raise1@example.com', 'raise2@example.com'])
    expect((await importPosts()).map((r) => r.status)).toEqual([201])

    expect(settledStats).toMatchObject(allDelivered(1000, 1))
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts)).toHaveLength(1000)
    expect(contacts['raise1@example.com']).toMatchObject({ events: [{ eventId: 3001, raisedAt: expect.any(String) }] })
    expect(contacts['raise2@example.com']).toMatchObject({ events: [{ eventId: 3001, raisedAt: expect.any(String) }] })
    expect(contacts['user0@example.com']).toMatchObject({ events: [], fields: { '6789': 'on' } })
  })

  it("4. never splits a contact: Jane's two events go as requests, in order, and her address is not in the file", async () => {
    const { tap, api } = await setup()
    const { settledStats } = await deliver(tap, SCENARIOS.neverSplit, 1)

    const [applied, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(rowsOf(applied)).toEqual(SCENARIOS.neverSplit.rows)
    const sent = contactsSent(tap)
    expect(sent.filter((r) => r.emailAddress.toLowerCase() === 'jane@example.com')).toEqual([
      { path: '/email/v1/List/12345/Contact', emailAddress: 'jane@example.com', values: { 6789: 'on' }, status: 201 },
      {
        path: '/email/v1/List/12345/Contact?sendDoubleOptIn=true',
        emailAddress: 'Jane@example.com',
        values: { 6789: 'off' },
        status: 201
      }
    ])
    expect(sent.map((r) => r.emailAddress).sort()).toEqual(['Jane@example.com', 'jane@example.com', 'solo@example.com'])
    expect((await contactPosts()).map((r) => r.status)).toEqual([201, 201, 201])

    expect(settledStats).toMatchObject(allDelivered(5, 1))
    const contacts = await api.contactDetails()
    // The later event's value is the one kept: Jane's requests went in order.
    expect(contacts['jane@example.com'].fields).toEqual({ '6789': 'off' })
    expect(contacts['solo@example.com'].doubleOptInSentAt).toEqual(expect.any(String))
    expect(contacts['john@example.com'].fields).toEqual({ '6789': 'on' })
  })

  it.each([
    ['below the threshold', SCENARIOS.belowThreshold],
    ['with bulk imports off', SCENARIOS.bulkOff]
  ])('5. sends every contact a request of its own %s, as without list imports', async (_, scenario) => {
    const { tap, api } = await setup()
    const n = scenario.events.length
    const { settledStats } = await deliver(tap, scenario, 0)

    expect(await listImports()).toEqual([])
    expect(await importPosts()).toEqual([])
    expect(importsSent(tap)).toEqual([])
    expect((await contactPosts()).map((r) => r.path)).toEqual(Array(n).fill('/email/v1/List/12345/Contact'))
    expect(
      contactsSent(tap)
        .map((r) => r.emailAddress)
        .sort()
    ).toEqual(addresses(n).sort())
    expect(settledStats).toMatchObject(allDelivered(n, 0))
    expect(Object.keys(await api.contactDetails())).toHaveLength(n)
  })

  it('6. unsubscribes 500 subscribed contacts in one RemoveSubscribers import with one Email column', async () => {
    const { tap, api } = await setup()
    const emails = addresses(500)
    // The contacts, subscribed with their check box on by an import of the test's own, straight to the sandbox.
    const csv = ['Email,6789', ...emails.map((email) => `${email},on`)].join('\r\n')
    const subscribed = await api.postListImport(importFile(csv, { importType: 'AddSubscribersAndSegmentationData' }))
    expect(subscribed.status).toBe(201)
    await api.completed(subscribed.json.resourceId as string)

    const { settledStats, reports } = await deliver(tap, SCENARIOS.unsubscribe, 1)

    const [sent, ...otherImports] = importsSent(tap)
    expect(otherImports).toEqual([])
    expect(sent.status).toBe(201)
    expect(sent.json).toMatchObject({
      importType: 'RemoveSubscribers',
      segmentationImportType: 'Update',
      fileMappings: [{ fileColumn: 0, fileColumnType: 'Email' }]
    })
    expect(sent.json.csv).toBe(['Email', ...emails, ''].join('\r\n'))
    expect(contactsSent(tap)).toEqual([])
    expect(await contactPosts()).toEqual([])
    const [, removal, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(removal.file).toMatchObject({ importType: 'RemoveSubscribers', header: ['Email'] })
    expect(rowsOf(removal)).toEqual(emails.map((email) => [email]))
    expect(removal.results.filter((r) => r.importResult !== 'Unsubscribed')).toEqual([])

    expect(settledStats).toMatchObject(allDelivered(500, 1))
    expect(await reports(1)).toMatchObject([
      { importFileId: String(removal.importFileId), importType: 'RemoveSubscribers', rows: 500, refused: 0 }
    ])
    const contacts = Object.values(await api.contactDetails())
    expect(contacts).toHaveLength(500)
    expect(contacts.filter((c) => c.subscriptionState !== 'Unsubscribed' || c.unsubscribeDate === null)).toEqual([])
    // An unsubscribe writes no profile field: the check box stays as it was.
    expect(contacts.filter((c) => (c.fields as Record<string, string>)['6789'] !== 'on')).toEqual([])
  })

  it('7. sends one Overwrite import per set of columns with no empty cell; a value with a quote goes in a request', async () => {
    const { tap, api } = await setup()
    const { settledStats } = await deliver(tap, SCENARIOS.columnSets, 2)

    expect(importsSent(tap).map((r) => [r.status, r.json.segmentationImportType, r.json.csv])).toEqual([
      [201, 'Overwrite', 'Email,6789\r\na@example.com,on\r\nc@example.com,off\r\n'],
      [201, 'Overwrite', 'Email,6789,7001\r\nb@example.com,on,Gold\r\nd@example.com,off,"Silver, old"\r\n']
    ])
    const imports = await appliedImports()
    expect(filesOf(imports)).toEqual(SCENARIOS.columnSets.files)
    expect(unevenRows(imports)).toEqual([])
    expect(contactsSent(tap)).toEqual([
      {
        path: '/email/v1/List/12345/Contact?updateType=Overwrite',
        emailAddress: 'e@example.com',
        values: { 6789: 'on', 7001: 'the "best"' },
        status: 201
      }
    ])

    expect(settledStats).toMatchObject(allDelivered(5, 2))
    const contacts = await api.contactDetails()
    expect(contacts['d@example.com'].fields).toEqual({ '6789': 'off', '7001': 'Silver, old' })
    expect(contacts['e@example.com'].fields).toEqual({ '6789': 'on', '7001': 'the "best"' })
  })

  it("8. dead-letters the events of an import Listrak refuses (400) with Listrak's code; the requests are not affected", async () => {
    const { tap, api } = await setup()
    const batch = SCENARIOS.refusedImport
    const run = await startRuntime(tap, batch, batch.events.length)
    // The runtime holds its token first, so that the one failure injected falls on the read of the list's fields:
    // its values go unchecked, and field 7999, which the list does not have, reaches the file.
    await run.h.runtime.tokens.get()
    await injectFaults({ failNext: { count: 1, status: 503 } })
    await run.send(batch.events)
    const letters = await run.h.waitForDeadLetters(2, SETTLE_MS)
    const settledStats = await run.settled(3, 0)

    const [refused, ...otherImports] = importsSent(tap)
    expect(otherImports).toEqual([])
    expect([refused.status, refused.json.csv]).toEqual([
      400,
      'Email,6789,7999\r\nann@example.com,on,x\r\nbob@example.com,off,y\r\n'
    ])
    const byAddress = letters.map((l) => [
      (l.event.context as { traits: { email: string } }).traits.email,
      l.status,
      l.listId,
      l.attempts
    ])
    expect(byAddress).toEqual([
      ['ann@example.com', 400, 12345, 1],
      ['bob@example.com', 400, 12345, 1]
    ])
    for (const letter of letters) {
      expect(letter.reason).toMatch(SCENARIOS.refusedImport.refusal)
      expect(letter.reason).toContain(refused.json.fileName)
    }

    await expectRefusedImportSeen()
    expect(settledStats).toMatchObject({
      delivered: 1,
      deadLettered: 2,
      refused: 2,
      retried: 0,
      importsPerList: {},
      listImports: followedUp(0),
      reasons: { '400 BAD_REQUEST': { count: 2, example: letters[0].reason } }
    })
    expect(Object.keys(await api.contactDetails())).toEqual(['raise@example.com'])
  })

  it('8. retries the events of an import answered 503 and delivers them with a file of the same name', async () => {
    const { tap, api } = await setup()
    const { first, retried } = SCENARIOS.retriedImport
    expect(retried.events).toHaveLength(first.events.length)
    const run = await startRuntime(tap, retried, retried.events.length)
    // A first batch reads the list's profile fields, so that the next batch's import is its only request.
    await run.send(first.events)
    await run.settled(3, 1)
    await injectFaults({ failNext: { count: 1, status: 503 } })
    await run.send(retried.events)
    const settledStats = await run.settled(6, 2)

    const [warmUp, failed, again, ...more] = importsSent(tap)
    expect(more).toEqual([])
    expect([warmUp.status, failed.status, again.status]).toEqual([201, 503, 201])
    const csv = ['Email,6789', ...addresses(3).map((e, i) => `${e},${checkBox(i)}`), ''].join('\r\n')
    expect(failed.json.csv).toBe(csv)
    expect(failed.json.fileName).toBe(designFileName(csv))
    // The retried batch rebuilds the very same request: the same file under the same name.
    expect(again.body).toBe(failed.body)
    expect((await importPosts()).map((r) => r.status)).toEqual([201, 503, 201])
    expect((await appliedImports()).map((i) => i.file.fileName)).toEqual([warmUp.json.fileName, failed.json.fileName])

    // Tried once (503, all three), then again after the runtime's backoff (201).
    const deliveries = run.h.logs
      .map((line) => JSON.parse(line) as { msg: string; attempt?: number; statuses?: Record<string, number> })
      .filter((line) => line.msg === 'delivery')
      .map((line) => [line.attempt, line.statuses])
    expect(deliveries).toEqual([
      [1, { 201: 3 }],
      [1, { 503: 3 }],
      [2, { 201: 3 }]
    ])
    expect(settledStats).toMatchObject({
      delivered: 6,
      retried: 3,
      deadLettered: 0,
      importsPerList: { '12345': 2 },
      listImports: followedUp(2)
    })
    expect(Object.keys(await api.contactDetails()).sort()).toEqual([...addresses(3, 'first'), ...addresses(3)])
  })
})
