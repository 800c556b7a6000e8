import type { SegmentEvent } from '@segment/actions-core'
import { waitFor } from '../wait'

/**
 * The design's list import scenarios (Create or Update Contact and Unsubscribe Contact with Bulk Import Large
 * Batches on), as events and mappings, and what the sandbox shows of them: shared by the tests that run them
 * through actions-core's Destination and through the runtime.
 */

/** A track event of a contact without a userId (so without an external ID), with `properties`. */
export const event = (email: string, properties: Record<string, unknown> = {}) =>
  ({
    type: 'track',
    event: 'Profile Sync',
    properties,
    context: { traits: { email } }
  }) as Partial<SegmentEvent>

export const addresses = (n: number, prefix = 'user') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`)
export const vipEvents = (emails: string[]) => emails.map((email, i) => event(email, { vip: i % 2 === 0 }))
/** The check box `vipEvents` gives its `i`th contact. */
export const checkBox = (i: number) => (i % 2 === 0 ? 'on' : 'off')

/** Design scenario 1's mapping: subscribe, one check box from the event, an import from two contacts. */
export const BULK = {
  listId: 12345,
  subscriptionState: 'Subscribed',
  profileFieldValues: { '6789': { '@path': '$.properties.vip' } },
  bulk_import: 'add_and_update',
  bulk_min_contacts: 2
}

/** `BULK` at the action's own threshold (100 contacts): the key left out, as a mapping that does not set it. */
const BULK_AT_DEFAULT_THRESHOLD = Object.fromEntries(
  Object.entries(BULK).filter(([key]) => key !== 'bulk_min_contacts')
)

/** One batch of a scenario: the action, its mapping (batching aside: each way of running it turns that on) and its events. */
export interface BulkBatch {
  action: 'upsertContact' | 'unsubscribeContact'
  mapping: Record<string, unknown>
  events: Partial<SegmentEvent>[]
}

const upsert = (mapping: Record<string, unknown>, events: Partial<SegmentEvent>[]): BulkBatch => ({
  action: 'upsertContact',
  mapping,
  events
})

/** Scenario 3's 1,000 contacts: two of them, at 10 and 500, with an event to raise. */
const MIXED = addresses(1000).map((email, i) =>
  i === 10 ? 'raise1@example.com' : i === 500 ? 'raise2@example.com' : email
)

/** The scenarios of the design's section C.6, numbered as there. */
export const SCENARIOS = {
  /** 1. Two contacts, the threshold lowered to 2: one import, the design's body to the byte. */
  twoContacts: {
    ...upsert(BULK, [event('jane@example.com', { vip: true }), event('john@example.com', { vip: false })]),
    /** The file, as the sandbox reads it. */
    file: {
      fileName: 'segment-12345-fd07c7320c48.csv',
      header: ['Email', '6789'],
      rows: [
        { line: 2, cells: ['jane@example.com', 'on'] },
        { line: 3, cells: ['john@example.com', 'off'] }
      ]
    }
  },
  /** 2. 1,000 contacts at the default threshold: one import of 1,000 rows. */
  thousand: upsert(BULK_AT_DEFAULT_THRESHOLD, vipEvents(addresses(1000))),
  /** 3. 998 contacts to import, and 2 (`raise1@`, `raise2@`) with an event to raise: one request each. */
  mixed: upsert(
    { ...BULK, eventIds: { '@path': '$.properties.events' }, bulk_min_contacts: 100 },
    MIXED.map((email) => event(email, { vip: true, ...(email.startsWith('raise') ? { events: [3001] } : {}) }))
  ),
  /**
   * 4. Jane's second event asks for a double opt-in, so both her events go as requests, in order; `solo@` asks for
   * one too; john and ann are imported.
   */
  neverSplit: {
    ...upsert({ ...BULK, sendDoubleOptIn: { '@path': '$.properties.doi' } }, [
      event('jane@example.com', { vip: true }),
      event('john@example.com', { vip: true }),
      event('ann@example.com', { vip: false }),
      event('Jane@example.com', { vip: false, doi: true }),
      event('solo@example.com', { vip: true, doi: true })
    ]),
    /** The one file's rows: john and ann only. */
    rows: [
      ['john@example.com', 'on'],
      ['ann@example.com', 'off']
    ]
  },
  /** 5. 99 contacts under a threshold of 100: one request each. */
  belowThreshold: upsert({ ...BULK, bulk_min_contacts: 100 }, vipEvents(addresses(99))),
  /** 5. Bulk imports off: one request each. */
  bulkOff: upsert({ ...BULK, bulk_import: 'off' }, vipEvents(addresses(5))),
  /** 6. 500 unsubscribes: one RemoveSubscribers import with one Email column. */
  unsubscribe: {
    action: 'unsubscribeContact',
    mapping: { listId: 12345, bulk_import: true },
    events: addresses(500).map((email) => event(email))
  } as BulkBatch,
  /**
   * 7. Two column sets under Overwrite: {6789} (a, c) and {6789, 7001} (b, d, whose value holds the delimiter);
   * e's value holds a quote, so e goes as a request.
   */
  columnSets: {
    ...upsert(
      {
        ...BULK,
        updateType: 'Overwrite',
        profileFieldValues: { '6789': { '@path': '$.properties.vip' }, '7001': { '@path': '$.properties.store' } }
      },
      [
        event('a@example.com', { vip: true }),
        event('b@example.com', { vip: true, store: 'Gold' }),
        event('c@example.com', { vip: false }),
        event('d@example.com', { vip: false, store: 'Silver, old' }),
        event('e@example.com', { vip: true, store: 'the "best"' })
      ]
    ),
    /** The two files as the sandbox reads them (see `filesOf`), in the order they were sent. */
    files: [
      [
        'Overwrite',
        ['Email', '6789'],
        [
          ['a@example.com', 'on'],
          ['c@example.com', 'off']
        ]
      ],
      [
        'Overwrite',
        ['Email', '6789', '7001'],
        [
          ['b@example.com', 'on', 'Gold'],
          ['d@example.com', 'off', 'Silver, old']
        ]
      ]
    ]
  },
  /**
   * 8. An import Listrak refuses (400): the list's fields cannot be read (the test fails that read), so field 7999,
   * which the list does not have, reaches the file unchecked; `raise@` goes as a request and is not affected.
   */
  refusedImport: {
    ...upsert(
      {
        ...BULK,
        eventIds: { '@path': '$.properties.events' },
        profileFieldValues: { '6789': { '@path': '$.properties.vip' }, '7999': { '@path': '$.properties.missing' } }
      },
      [
        event('ann@example.com', { vip: true, missing: 'x' }),
        event('raise@example.com', { vip: true, events: [3001] }),
        event('bob@example.com', { vip: false, missing: 'y' })
      ]
    ),
    /** How the refused import's events fail: Listrak's status and code, and what it refused. */
    refusal:
      /^Listrak refused the list import segment-12345-[0-9a-f]{12}\.csv for list 12345 \(HTTP 400 ERROR_INVALID_PARAMETER: .*7999 is not a profile field of list 12345/
  },
  /**
   * 8. An import answered 503 and retried: a first batch reads the list's fields, so that the import is the next
   * batch's only request (the one the test fails); the retried batch sends a file of the same name.
   */
  retriedImport: {
    first: upsert(BULK, vipEvents(addresses(3, 'first'))),
    retried: upsert(BULK, vipEvents(addresses(3)))
  }
}

/** A list import as `GET /_sandbox/list-imports` shows it: the file as the sandbox read it, and each row's result. */
export interface SandboxListImport {
  importFileId: number
  listId: number
  status: 'Queued' | 'Completed'
  file: {
    fileName: string
    importType: string
    segmentationImportType: string
    includeUnsubscribed: boolean
    suppressEmailNotifications: boolean
    triggerJourney: boolean
    header: string[] | null
    rows: { line: number; cells: string[] }[]
  }
  results: { line: number; emailAddress: string; importResult: string; reason?: string }[]
}

/** The list imports' files as the sandbox read them: `[segmentationImportType, header, rows]`, rows as cells. */
export const filesOf = (imports: SandboxListImport[]) =>
  imports.map(({ file }) => [file.segmentationImportType, file.header, file.rows.map((r) => r.cells)])

/** The rows of the imports' files that are not as wide as their header, or have an empty cell: none, by design. */
export const unevenRows = (imports: SandboxListImport[]) =>
  imports.flatMap(({ file }) => file.rows.filter((r) => r.cells.length !== file.header?.length || r.cells.includes('')))

/** A list import's request body, as the destination sends it (the members the tests read). */
export interface ImportBody {
  fileName: string
  importType: string
  segmentationImportType: string
  fileMappings: unknown[]
  fileStream: string
}

/** The body with its file decoded (`csv`). */
export const withCsv = <T extends ImportBody>(body: T) => ({
  ...body,
  csv: Buffer.from(body.fileStream, 'base64').toString('utf8')
})

export interface SandboxRequest {
  method: string
  path: string
  status: number | string
}

export const LIST_IMPORT_PATH = '/email/v1/List/12345/ListImport'
/** The contact route of list 12345 (`POST /List/12345/Contact`), query and all. */
export const CONTACT_ROUTE = /^\/email\/v1\/List\/12345\/Contact(\?|$)/

/** What the sandbox at `url()` shows of what it was sent, read from its inspection routes over HTTP. */
export function sandboxViews(url: () => string) {
  const inspect = async <T>(route: string): Promise<T[]> => {
    const answer = await fetch(`${url()}${route}`)
    expect(answer.status).toBe(200)
    return ((await answer.json()) as { data: T[] }).data
  }
  const listImports = () => inspect<SandboxListImport>('/_sandbox/list-imports')
  const requests = () => inspect<SandboxRequest>('/_sandbox/requests')
  /** The requests to the contact route, in the order they came. */
  const contactPosts = async () => (await requests()).filter((r) => r.method === 'POST' && CONTACT_ROUTE.test(r.path))
  const importPosts = async () => (await requests()).filter((r) => r.method === 'POST' && r.path === LIST_IMPORT_PATH)
  return {
    listImports,
    requests,
    contactPosts,
    importPosts,
    /** Every list import the sandbox took, once each has been applied. */
    appliedImports: () =>
      waitFor('the list imports to be applied', listImports, (all) => all.every((i) => i.status === 'Completed')),
    /**
     * What the sandbox shows of scenario 8's refused import: its first request, the read of the list's fields,
     * failed (503); the import was refused (400) and not kept; the one contact request, raising event 3001, was taken.
     */
    expectRefusedImportSeen: async () => {
      const [fieldsRead] = (await requests()).filter((r) => r.path.startsWith('/email/v1/'))
      expect(fieldsRead).toMatchObject({
        method: 'GET',
        path: expect.stringContaining('/SegmentationField'),
        status: 503
      })
      expect((await importPosts()).map((r) => r.status)).toEqual([400])
      expect(await listImports()).toEqual([])
      expect((await contactPosts()).map((r) => [r.path, r.status])).toEqual([
        ['/email/v1/List/12345/Contact?eventIds=3001', 201]
      ])
    },
    /** Changes the sandbox's faults from here on, as `POST /_sandbox/faults` does. */
    injectFaults: async (update: Record<string, unknown>) => {
      const answer = await fetch(`${url()}/_sandbox/faults`, { method: 'POST', body: JSON.stringify(update) })
      expect(answer.status).toBe(200)
    }
  }
}
