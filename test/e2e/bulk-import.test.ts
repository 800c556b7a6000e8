import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { exited, startCli } from '../cli/process'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { listFieldCache } from '../../src/profile-fields/definitions'
import { useSandbox } from '../sandbox/client'
import { importFile, listrakApi } from '../sandbox/listrak-api'
import { isRetryable, Result, runBatch } from './actions'
import {
  addresses,
  BULK,
  BulkBatch,
  checkBox,
  event,
  filesOf,
  LIST_IMPORT_PATH,
  SCENARIOS,
  sandboxViews,
  unevenRows
} from './bulk-scenarios'

/**
 * Create or Update Contact and Unsubscribe Contact sending large batches in list imports, through actions-core's
 * real Destination against the sandbox over loopback: what the sandbox takes (its list imports, read back as it
 * read the file), what it does not (no request per contact), each event's result, and the contacts once the
 * imports have been applied.
 */

const { current, start } = useSandbox({ asListrak: true })

beforeEach(() => listFieldCache.clear())

/** A fresh sandbox (with `faults`), a token a runtime would already hold, and Listrak's routes. */
async function setup(faults: Record<string, unknown> = {}) {
  await start({ faults })
  const token = await current.api.token()
  const api = listrakApi(current.sandbox, token)
  /** A scenario's batch, through `onBatch`: one result per event. */
  const run = ({ action, events, mapping }: BulkBatch) => runBatch(action, events, mapping, token)
  return { api, run }
}

const { listImports, appliedImports, contactPosts, importPosts, injectFaults, expectRefusedImportSeen } = sandboxViews(
  () => current.sandbox.url
)

const statuses = (results: Result[]) => [...new Set(results.map((r) => r.status))]
const resourceIds = (results: Result[]) => [...new Set(results.map((r) => r.body?.resourceId))]
const via = (results: Result[]) => results.map((r) => (r.body?.via as string | undefined) ?? 'Contact')

describe('Create or Update Contact in list imports, against the sandbox', () => {
  it('sends two contacts as one list import and no contact request; both are on the list once it is applied', async () => {
    // Held queued long enough to see the contacts arrive only when the import is applied, after its answer.
    const { api, run } = await setup({ listImportDelayMs: 300 })
    const results = await run(SCENARIOS.twoContacts)

    const [taken, ...more] = await listImports()
    expect(more).toEqual([])
    expect(taken).toMatchObject({
      importFileId: 1,
      listId: 12345,
      status: 'Queued',
      file: {
        ...SCENARIOS.twoContacts.file,
        importType: 'AddSubscribersAndSegmentationData',
        segmentationImportType: 'Update',
        suppressEmailNotifications: true,
        triggerJourney: false
      },
      results: []
    })
    expect(await contactPosts()).toEqual([])
    expect((await importPosts()).map((r) => r.status)).toEqual([201])
    expect(results.map((r) => [r.status, r.body])).toEqual(
      ['jane@example.com', 'john@example.com'].map(() => [
        201,
        {
          status: 201,
          resourceId: '1',
          via: 'ListImport',
          importType: 'AddSubscribersAndSegmentationData',
          outcome: 'pending'
        }
      ])
    )
    expect(await api.contactDetails()).toEqual({})

    const [applied] = await appliedImports()
    expect(applied.results.map((r) => [r.emailAddress, r.importResult])).toEqual([
      ['jane@example.com', 'Subscribed'],
      ['john@example.com', 'Subscribed']
    ])
    const contacts = await api.contactDetails()
    expect(contacts['jane@example.com']).toMatchObject({ subscriptionState: 'Subscribed', fields: { '6789': 'on' } })
    expect(contacts['john@example.com']).toMatchObject({ subscriptionState: 'Subscribed', fields: { '6789': 'off' } })
  })

  it('sends 1,000 contacts in one import of 1,000 rows; every event 201, every contact on the list after', async () => {
    const { api, run } = await setup()
    const emails = addresses(1000)
    const results = await run(SCENARIOS.thousand)

    expect(results).toHaveLength(1000)
    expect(statuses(results)).toEqual([201])
    expect(resourceIds(results)).toEqual(['1'])
    const imports = await appliedImports()
    expect(imports).toHaveLength(1)
    expect(imports[0].file.rows).toHaveLength(1000)
    expect(imports[0].results.every((r) => r.importResult === 'Subscribed')).toBe(true)
    expect(await contactPosts()).toEqual([])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts)).toHaveLength(1000)
    emails.forEach((email, i) => expect(contacts[email].fields).toEqual({ '6789': checkBox(i) }))
  })

  it('imports 998 contacts and sends the 2 with events to raise one request each, which raise them', async () => {
    const { api, run } = await setup()
    const results = await run(SCENARIOS.mixed)

    const imports = await appliedImports()
    expect(imports).toHaveLength(1)
    expect(imports[0].file.rows).toHaveLength(998)
    expect(imports[0].file.rows.filter((r) => r.cells[0].startsWith('raise'))).toEqual([])
    expect((await contactPosts()).map((r) => [r.path, r.status])).toEqual([
      ['/email/v1/List/12345/Contact?eventIds=3001', 201],
      ['/email/v1/List/12345/Contact?eventIds=3001', 201]
    ])
    expect(statuses(results)).toEqual([201])
    expect(via(results).filter((v) => v === 'Contact')).toHaveLength(2)
    expect([results[10].body?.resourceId, results[500].body?.resourceId]).toEqual([
      'raise1@example.com',
      'raise2@example.com'
    ])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts)).toHaveLength(1000)
    expect(contacts['raise1@example.com']).toMatchObject({ events: [{ eventId: 3001, raisedAt: expect.any(String) }] })
    expect(contacts['user0@example.com']).toMatchObject({ events: [], fields: { '6789': 'on' } })
  })

  it("never splits a contact: a double opt-in sends all the contact's events as requests, in order", async () => {
    const { api, run } = await setup()
    const results = await run(SCENARIOS.neverSplit)

    expect(via(results)).toEqual(['Contact', 'ListImport', 'ListImport', 'Contact', 'Contact'])
    const [taken] = await appliedImports()
    expect(taken.file.rows.map((r) => r.cells)).toEqual(SCENARIOS.neverSplit.rows)
    expect((await contactPosts()).map((r) => r.path).sort()).toEqual([
      '/email/v1/List/12345/Contact',
      '/email/v1/List/12345/Contact?sendDoubleOptIn=true',
      '/email/v1/List/12345/Contact?sendDoubleOptIn=true'
    ])
    const contacts = await api.contactDetails()
    // The later event's value is the one kept: Jane's requests went in order.
    expect(contacts['jane@example.com'].fields).toEqual({ '6789': 'off' })
    expect(contacts['solo@example.com'].doubleOptInSentAt).toEqual(expect.any(String))
  })

  it.each([
    ['below the threshold', SCENARIOS.belowThreshold],
    ['with bulk imports off', SCENARIOS.bulkOff]
  ])('sends every contact a request of its own %s', async (_, scenario) => {
    const { api, run } = await setup()
    const n = scenario.events.length
    const results = await run(scenario)
    expect(await listImports()).toEqual([])
    expect(await importPosts()).toEqual([])
    expect(await contactPosts()).toHaveLength(n)
    expect(statuses(results)).toEqual([201])
    expect(Object.keys(await api.contactDetails())).toHaveLength(n)
  })

  it('sends one import per set of columns with no empty cell; a value with a quote goes in a request', async () => {
    const { api, run } = await setup()
    const results = await run(SCENARIOS.columnSets)

    const imports = await appliedImports()
    expect(filesOf(imports)).toEqual(SCENARIOS.columnSets.files)
    expect(unevenRows(imports)).toEqual([])
    expect((await contactPosts()).map((r) => r.path)).toEqual(['/email/v1/List/12345/Contact?updateType=Overwrite'])
    expect(resourceIds(results)).toEqual(['1', '2', 'e@example.com'])
    const contacts = await api.contactDetails()
    expect(contacts['d@example.com'].fields).toEqual({ '6789': 'off', '7001': 'Silver, old' })
    expect(contacts['e@example.com'].fields).toEqual({ '6789': 'on', '7001': 'the "best"' })
  })

  it('answers banned and suppressed addresses 201 pending; only the import results show what became of them', async () => {
    const { api, run } = await setup()
    const results = await run({
      action: 'upsertContact',
      mapping: BULK,
      events: [
        event('jane@example.com', { vip: true }),
        event('banned@example.com', { vip: true }),
        event('not-an-email', { vip: true }),
        event('suppressed@example.com', { vip: false })
      ]
    })

    // The destination's own check refuses an address that is not one before anything is sent: every address the
    // sandbox would call InvalidEmail is one the destination refuses first, so no row of a file can be invalid.
    expect(results.map((r) => [r.status, r.body?.outcome ?? r.errortype])).toEqual([
      [201, 'pending'],
      [201, 'pending'],
      [400, 'PAYLOAD_VALIDATION_FAILED'],
      [201, 'pending']
    ])
    const [applied] = await appliedImports()
    expect(applied.results.map((r) => [r.emailAddress, r.importResult])).toEqual([
      ['jane@example.com', 'Subscribed'],
      ['banned@example.com', 'Banned'],
      ['suppressed@example.com', 'Suppressed']
    ])
    // What a runtime following the import up would read: Listrak's own results of the import, per contact.
    const id = results[0].body?.resourceId as string
    expect((await api.get(`/List/12345/ListImport/${id}/Summary`)).json.data).toMatchObject({
      processedCount: 3,
      subscribedCount: 1,
      bannedCount: 1,
      suppressedCount: 1,
      invalidEmailCount: 0
    })
    expect((await api.get(`/List/12345/ListImport/${id}/Contact`)).json.data).toEqual([
      { emailAddress: 'jane@example.com', importResult: 'Subscribed' },
      { emailAddress: 'banned@example.com', importResult: 'Banned' },
      { emailAddress: 'suppressed@example.com', importResult: 'Suppressed' }
    ])
    expect(Object.keys(await api.contactDetails())).toEqual(['jane@example.com'])
  })

  it("fails an import's events with Listrak's 400 and code; the contacts sent as requests are not affected", async () => {
    // The list's profile fields cannot be read (503), so values go unchecked and field 7999, which the list does
    // not have, reaches a file: Listrak, not the destination, refuses the import.
    const { api, run } = await setup()
    await injectFaults({ failNext: { count: 1, status: 503 } })
    const results = await run(SCENARIOS.refusedImport)

    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [400, 'BAD_REQUEST'],
      [201, 'ok'],
      [400, 'BAD_REQUEST']
    ])
    expect(results[0].errormessage).toMatch(SCENARIOS.refusedImport.refusal)
    expect(results[0].sent).toMatchObject({ emailAddress: 'ann@example.com', row: 'ann@example.com,on,x' })
    await expectRefusedImportSeen()
    expect(Object.keys(await api.contactDetails())).toEqual(['raise@example.com'])
  })

  it('leaves the events of an import answered 503 to be retried; the retried batch sends a file of the same name', async () => {
    const { api, run } = await setup()
    // A first batch reads the list's profile fields, so that the import is the next batch's only request.
    const { first, retried: batch } = SCENARIOS.retriedImport
    expect(statuses(await run(first))).toEqual([201])
    await injectFaults({ failNext: { count: 1, status: 503 } })

    const failed = await run(batch)
    expect(failed.map((r) => [r.status, isRetryable(r.status)])).toEqual(Array(3).fill([503, true]))
    expect(failed[0].errormessage).toContain('it will be retried')
    const fileName = /segment-12345-[0-9a-f]{12}\.csv/.exec(failed[0].errormessage ?? '')?.[0]
    expect(fileName).toBeDefined()
    expect((await listImports()).map((i) => i.file.fileName)).not.toContain(fileName)

    const retried = await run(batch)
    expect(statuses(retried)).toEqual([201])
    const imports = await appliedImports()
    expect(imports.map((i) => i.file.fileName)).toEqual([expect.any(String), fileName])
    expect((await importPosts()).map((r) => r.status)).toEqual([201, 503, 201])
    expect(Object.keys(await api.contactDetails()).sort()).toEqual([
      'first0@example.com',
      'first1@example.com',
      'first2@example.com',
      ...addresses(3)
    ])
  })
})

describe('Unsubscribe Contact in list imports, against the sandbox', () => {
  it('unsubscribes 500 subscribed contacts in one RemoveSubscribers import; every event 201', async () => {
    const { api, run } = await setup()
    const emails = addresses(500)
    // The contacts, subscribed with their check box on by an import of the test's own.
    const csv = ['Email,6789', ...emails.map((email) => `${email},on`)].join('\r\n')
    const subscribed = await api.postListImport(importFile(csv, { importType: 'AddSubscribersAndSegmentationData' }))
    expect(subscribed.status).toBe(201)
    await api.completed(subscribed.json.resourceId as string)

    const results = await run(SCENARIOS.unsubscribe)

    expect(results).toHaveLength(500)
    expect(statuses(results)).toEqual([201])
    expect(results[0].body).toEqual({
      status: 201,
      resourceId: '2',
      via: 'ListImport',
      importType: 'RemoveSubscribers',
      outcome: 'pending'
    })
    const [, removal, ...more] = await appliedImports()
    expect(more).toEqual([])
    expect(removal.file).toMatchObject({
      importType: 'RemoveSubscribers',
      segmentationImportType: 'Update',
      header: ['Email']
    })
    expect(removal.file.rows.map((r) => r.cells)).toEqual(emails.map((email) => [email]))
    expect(removal.results.every((r) => r.importResult === 'Unsubscribed')).toBe(true)
    expect(await contactPosts()).toEqual([])
    const contacts = Object.values(await api.contactDetails())
    expect(contacts).toHaveLength(500)
    expect(contacts.every((c) => c.subscriptionState === 'Unsubscribed' && c.unsubscribeDate !== null)).toBe(true)
    // An unsubscribe writes no profile field: the check box stays as it was.
    expect(contacts.every((c) => (c.fields as Record<string, string>)['6789'] === 'on')).toBe(true)
  })
})

describe('listrak-actions replay with Bulk Import Large Batches, to its embedded sandbox', () => {
  const config = path.join(__dirname, '..', '..', 'examples', 'config.large-sync.json')

  /** This environment without Listrak settings, so that the replay delivers to the sandbox it embeds. */
  function environment(): NodeJS.ProcessEnv {
    const env = { ...process.env }
    for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL'])
      delete env[name]
    return env
  }

  it('delivers 300 audience events in list imports: exit 0, and every contact on the list with its check box', async () => {
    const emails = addresses(300, 'member')
    const events = emails.map((email, i) =>
      i % 2 === 0
        ? audienceTrack(email, 'my_audience', i % 3 !== 0)
        : audienceIdentify(email, 'my_audience', i % 3 !== 0)
    )
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'bulk-replay-'))
    const file = path.join(cwd, 'events.ndjson')
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n')

    const { child, output } = await startCli(
      ['replay', '--memory', '--keep-sandbox', '--config', config, file],
      /Press Ctrl\+C to stop it\./,
      { cwd, env: environment(), timeoutMs: 15_000 }
    )
    try {
      expect(output()).toMatch(/^delivered\s+300$/m)
      expect(output()).toMatch(/^dead-lettered\s+0$/m)
      const printed = /^ {2}list imports: (http:\/\/\S+)\/_sandbox\/list-imports$/m.exec(output())
      expect(printed).not.toBeNull()
      const sandboxUrl = printed?.[1]
      const embedded = sandboxViews(() => sandboxUrl as string)
      const imports = await embedded.listImports()
      const posts = (await embedded.requests()).filter((r) => r.method === 'POST')

      // The file is read well within a flush interval, and the replay then flushes it: one batch, so one import.
      expect(imports.map((i) => [i.status, i.file.importType, i.file.rows.length])).toEqual([
        ['Completed', 'AddSubscribersAndSegmentationData', 300]
      ])
      expect(posts.filter((r) => r.path === LIST_IMPORT_PATH).map((r) => r.status)).toEqual([201])
      expect(posts.filter((r) => r.path.startsWith('/email/v1/List/12345/Contact'))).toEqual([])
      const [{ file: taken, results }] = imports
      expect(taken.header).toEqual(['Email', 'ExternalContactID', '6789'])
      expect(taken.rows.map((r) => r.cells[0])).toEqual(emails)
      expect(results.every((r) => r.importResult === 'Subscribed')).toBe(true)

      const listed = (await (await fetch(`${sandboxUrl}/_sandbox/lists/12345/contacts?detail=full`)).json()) as {
        contacts: { emailAddress: string; externalContactID: string; fields: Record<string, string> }[]
      }
      const byEmail = new Map(listed.contacts.map((c) => [c.emailAddress, c]))
      expect(byEmail.size).toBe(300)
      emails.forEach((email, i) =>
        expect(byEmail.get(email)).toMatchObject({
          externalContactID: `user-${email}`,
          fields: { '6789': i % 3 !== 0 ? 'on' : 'off' }
        })
      )
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([0, null])
    rmSync(cwd, { recursive: true, force: true })
  })
})
