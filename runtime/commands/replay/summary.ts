import type { ListImportCounts } from '../../stats'
import { DEFAULT_WIDTH, wrapFrom } from '../wrap'
import type { ListContacts, SentMessages } from './sandbox-contents'

/** Entries of the file that were not events, for one reason. */
export interface InvalidReason {
  reason: string
  count: number
  /** Where the first few were: lines (NDJSON) or places in the JSON array, from 1. */
  first: number[]
  /** What the first one showed, when the reason alone does not say (the JSON parser's words). */
  example?: string
}

export interface ReplaySummary {
  file: string
  read: number
  invalid: { count: number; unit: 'line' | 'item'; reasons: InvalidReason[] }
  accepted: number
  matched: number
  unmatched: number
  delivered: number
  refused: number
  retried: number
  deadLettered: number
  reasons: Record<string, { count: number; example: string }>
  importsPerList: Record<string, number>
  /** Transactional messages Listrak accepted, per list. */
  messagesPerList: Record<string, number>
  /** Delivered events that changed nothing, by Listrak's reason (an unsubscribe of a contact not subscribed). */
  unchanged: Record<string, number>
  deliveredPerList: Record<string, number>
  /**
   * The list imports followed up, and `pending`: those the replay's events went in that had not completed when it
   * stopped waiting (imports.replayWaitMs); with a durable queue, the next start on it follows them.
   */
  listImports: ListImportCounts & { pending: number }
  /** Events an earlier run left in the durable queue, delivered in this one. */
  resumed: number
  /** Events still queued when the replay stopped: in the durable queue for the next run. */
  left: number
  /** Events the in-memory queue could neither deliver nor write as dead letters. */
  lost: number
  elapsedSeconds: number
  eventsPerSecond: number
  /** Where the dead letters are: the NDJSON file (in memory) or the queue store. */
  deadLetters: string
  sandboxUrl?: string
  /** The embedded sandbox's lists after the replay, when it stood in for Listrak. */
  contacts?: ListContacts[]
  /** The transactional messages the embedded sandbox recorded, when it stood in for Listrak. */
  messages?: SentMessages
}

/** Distinct reasons an invalid entry is counted under; beyond them, under one "other reasons". */
const MAX_INVALID_REASONS = 10
const FIRST_SHOWN = 5
const OTHER_REASONS = 'other reasons'

/**
 * Counts the entries that were not events by reason, with where the first few were, so that a file of 5,000 bad
 * lines sums up in a row per reason. The reasons are bounded too: some carry numbers (an event's size).
 */
export class InvalidTally {
  count = 0
  private readonly reasons = new Map<string, InvalidReason>()

  add(reason: string, at: number, detail?: string): void {
    this.count++
    const key = this.reasons.has(reason) || this.reasons.size < MAX_INVALID_REASONS ? reason : OTHER_REASONS
    let entry = this.reasons.get(key)
    if (!entry) {
      const example = key === OTHER_REASONS ? reason : detail
      entry = { reason: key, count: 0, first: [], ...(example ? { example } : {}) }
      this.reasons.set(key, entry)
    }
    entry.count++
    if (entry.first.length < FIRST_SHOWN) entry.first.push(at)
  }

  /** The most frequent first; "other reasons" last. */
  toJSON(): InvalidReason[] {
    const rank = (r: InvalidReason) => (r.reason === OTHER_REASONS ? -1 : r.count)
    return [...this.reasons.values()].sort((a, b) => rank(b) - rank(a))
  }
}

/**
 * What did not go through, each part worded for a person: events not delivered (dead-lettered, left queued, lost)
 * and entries of the file that were not events. Empty when everything matched was delivered.
 */
export function replayFailures(summary: ReplaySummary): string[] {
  const { unit } = summary.invalid
  const { refusedRows, unknownRows } = summary.listImports
  const afterImports = refusedRows + unknownRows
  return [
    [summary.deadLettered, `${summary.deadLettered} event(s) dead-lettered (see ${summary.deadLetters})`],
    [
      afterImports,
      `${afterImports} event(s) sent in list imports dead-lettered once the imports' results were known ` +
        `(${refusedRows} refused by Listrak, ${unknownRows} of unknown outcome; see ${summary.deadLetters})`
    ],
    [summary.left, `${summary.left} event(s) left in the queue, not delivered yet`],
    [summary.lost, `${summary.lost} event(s) lost`],
    [summary.invalid.count, `${summary.invalid.count} ${unit}(s) of the file not events`]
  ].flatMap(([count, text]) => (count ? [text as string] : []))
}

/** 0 when everything matched was delivered and every entry was an event, else 1 (unless failures are allowed). */
export const replayExitCode = (summary: ReplaySummary, options: { allowFailures?: boolean } = {}): 0 | 1 =>
  !options.allowFailures && replayFailures(summary).length > 0 ? 1 : 0

/** The delivered events that changed nothing, under the delivered count, with Listrak's reasons. */
function unchangedRows(unchanged: Record<string, number>): [string, string][] {
  const entries = Object.entries(unchanged)
  if (entries.length === 0) return []
  const total = entries.reduce((sum, [, n]) => sum + n, 0)
  return [['  of which unchanged', `${total}  ${entries.map(([code, n]) => `${code} ${n}`).join(', ')}`]]
}

const clip = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text)

function invalidRow(reason: InvalidReason, unit: 'line' | 'item'): [string, string] {
  const places = `${unit}${reason.first.length > 1 ? 's' : ''} ${reason.first.join(', ')}${reason.count > reason.first.length ? ', …' : ''}`
  const first = reason.first.length > 1 ? `${unit} ${reason.first[0]}: ` : ''
  const example = reason.example ? ` (${first}${clip(reason.example, 100)})` : ''
  return [`  ${clip(reason.reason, 40)}`, `${reason.count}  ${places}${example}`]
}

/** The list imports followed up, when there were any: how they ended, and those still pending. */
function listImportRows(imports: ReplaySummary['listImports']): [string, string][] {
  if (imports.followed === 0 && imports.pending === 0) return []
  const ended = [
    `${imports.completed} completed`,
    ...(imports.timedOut ? [`${imports.timedOut} timed out`] : []),
    ...(imports.notFound ? [`${imports.notFound} not found`] : []),
    ...(imports.failed ? [`${imports.failed} failed`] : []),
    ...(imports.pending ? [`${imports.pending} still pending (the next start on this queue follows them)`] : [])
  ]
  return [
    ['list imports followed', `${imports.followed}: ${ended.join(', ')}`],
    ...(imports.refusedRows
      ? [['  addresses refused', `${imports.refusedRows} (dead-lettered)`] as [string, string]]
      : []),
    ...(imports.unknownRows
      ? [['  outcome unknown', `${imports.unknownRows} (dead-lettered)`] as [string, string]]
      : [])
  ]
}

/** A summary row: its name, and its value, or what lays the value out from the column it starts at. */
type SummaryRow = [string, string | ((column: number) => string)]

/** The closing table a person reads after a replay; dead-letter reasons are shown whole, wrapped to `width`. */
export function formatSummary(summary: ReplaySummary, width = DEFAULT_WIDTH): string {
  const { invalid } = summary
  const rows: SummaryRow[] = [
    ['file', summary.file],
    ['read', String(summary.read)],
    ['invalid', String(invalid.count)],
    ...invalid.reasons.map((reason) => invalidRow(reason, invalid.unit)),
    ['accepted', String(summary.accepted)],
    ...(summary.resumed ? [['resumed from the queue', String(summary.resumed)] as [string, string]] : []),
    ['matched', String(summary.matched)],
    ['unmatched', String(summary.unmatched)],
    ['delivered', String(summary.delivered)],
    ...unchangedRows(summary.unchanged),
    ['refused', String(summary.refused)],
    ['retried', String(summary.retried)],
    ['dead-lettered', String(summary.deadLettered)],
    ...Object.entries(summary.reasons).map(([key, { count, example }]): SummaryRow => [
      `  ${key}`,
      (column) => {
        const lead = `${count}  e.g. `
        return `${lead}${wrapFrom(example, column + lead.length, width)}`
      }
    ]),
    ...Object.entries(summary.importsPerList).map(([list, n]): [string, string] => [
      `imports, list ${list}`,
      `${n} (${summary.deliveredPerList[list] ?? 0} events)`
    ]),
    ...Object.entries(summary.messagesPerList).map(([list, n]): [string, string] => [
      `messages sent, list ${list}`,
      String(n)
    ]),
    ...listImportRows(summary.listImports),
    ['elapsed', `${summary.elapsedSeconds} s`],
    ['events/s', String(summary.eventsPerSecond)]
  ]
  if (summary.left > 0) rows.push(['left in the queue', `${summary.left} (delivered by the next run)`])
  if (summary.lost > 0) rows.push(['lost', `${summary.lost} (in memory, could not be dead-lettered)`])
  if (summary.deadLettered > 0) rows.push(['dead letters in', summary.deadLetters])
  const keys = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(keys)}  ${typeof v === 'string' ? v : v(keys + 2)}`).join('\n')
}
