import { SingleBar } from 'cli-progress'
import type { Logger } from 'pino'
import { METHOD } from '../../../sandbox/contacts'
import type { SandboxState } from '../../../sandbox/state'
import { checkConfig, CheckNotRunError, formatCheck, isProblem } from '../check'
import type { RuntimeConfig } from '../../config'
import { EventFileError, openEventFile } from '../event-file'
import { parseEvent } from '../../ingest/events'
import { CheckFailedError, connectListrak, createPipeline, ListrakConnection } from '../../index'
import type { DrainResult } from '../../pipeline/pipeline'
import { REDIS_QUEUE_DEFAULTS, RedisQueue } from '../../queue/redis/queue'
import { DEFAULT_WIDTH, wrapFrom } from '../wrap'

/** Entries of the file that were not events, for one reason. */
export interface InvalidReason {
  reason: string
  count: number
  /** Where the first few were: lines (NDJSON) or places in the JSON array, from 1. */
  first: number[]
  /** What the first one showed, when the reason alone does not say (the JSON parser's words). */
  example?: string
}

/** A contact of the embedded sandbox, as the replay shows it. */
export interface SandboxContact {
  emailAddress: string
  /** Profile field values by field ID. */
  fields: Record<string, string>
  /** With the contact route's state (see ListContacts.states): subscribed or not, external ID, events raised. */
  subscriptionState?: string
  externalContactID?: string
  events?: number[]
}

/** Contacts of one list in the embedded sandbox, after the replay. */
export interface ListContacts {
  listId: number
  listName: string
  count: number
  /**
   * How many are subscribed and unsubscribed, when the contact route wrote to the list (a contact action): a
   * profile field import only adds subscribed contacts, so the state says nothing there and is left out.
   */
  states?: { subscribed: number; unsubscribed: number }
  /** The first few contacts, as the sandbox holds them. */
  first: SandboxContact[]
  /** Per profile field the contacts hold: how many hold each value, the most common first, and the rest summed. */
  fields: { id: string; name?: string; values: [string, number][]; otherValues: number }[]
}

/** Transactional messages the embedded sandbox recorded as sent, per list and message. */
export interface SentMessages {
  total: number
  /** The sandbox keeps the newest sends only: `total` counts them all, the rest is about the ones kept. */
  kept: number
  messages: {
    listId: number
    transactionalMessageId: number
    name?: string
    sent: number
    recipients: number
    /** The first few recipients: how many of this message each got, and the merge values of the last one. */
    first: { emailAddress: string; count: number; mergeValues: Record<string, string> }[]
  }[]
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

export interface ReplayOptions {
  logger: Logger
  /** 'bar' on a terminal, 'lines' otherwise, 'none' in tests. */
  progress: 'bar' | 'lines' | 'none'
  write?: (line: string) => void
  /** Check the config against the Listrak account first, as `serve` does; a failing check throws CheckFailedError. */
  check?: boolean
  /**
   * Where to deliver, made by the caller, which stops it: so that the embedded sandbox can outlive the replay.
   * Without it the replay connects (starting the sandbox when no credentials are given) and stops it at the end.
   */
  listrak?: ListrakConnection
}

/**
 * The replay did not go through the whole file: the file broke off, or the queue stopped taking events. What it did
 * until then is in `summary`.
 */
export class ReplayStoppedError extends Error {
  constructor(
    message: string,
    readonly summary: ReplaySummary
  ) {
    super(message)
  }
}

const PROGRESS_LINE_MS = 2000
/** Batches' worth of events replay keeps queued: enough to keep deliveries busy, little enough for flat memory. */
const REPLAY_WINDOW_BATCHES = 4
/** Distinct reasons an invalid entry is counted under; beyond them, under one "other reasons". */
const MAX_INVALID_REASONS = 10
const FIRST_SHOWN = 5
const OTHER_REASONS = 'other reasons'
const CONTACTS_SHOWN = 5
const VALUES_SHOWN = 5
/** How long the replay waits on a shared queue whose events do not move, before it says so and reads on. */
const STALL_WARNING_MS = 30_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
 * Streams a file of Segment events through the same pipeline as `serve`, in-process, and sums up what happened.
 * Throws an EventFileError for a file it cannot read from the start, CheckFailedError for a failing check, and
 * ReplayStoppedError when it could not go through the whole file.
 */
export async function replay(file: string, config: RuntimeConfig, options: ReplayOptions): Promise<ReplaySummary> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const source = await openEventFile(file)
  const listrak = options.listrak ?? (await connectListrak(config))
  try {
    const { sandbox } = listrak
    // The pipeline delivers through this connection rather than one of its own, which would stop with it.
    const target: RuntimeConfig = sandbox
      ? { ...config, settings: listrak.settings, listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl } }
      : config
    const parts = await createPipeline(target, { logger: options.logger })
    const { pipeline, stats } = parts

    if (options.check) {
      let rows
      try {
        rows = await checkConfig(target, parts.settings, undefined, { tokens: parts.tokens })
      } catch (error) {
        await parts.close()
        if (!(error instanceof CheckNotRunError)) throw error
        throw new CheckFailedError([], `${error.message} Or replay with --no-check to skip the check.`)
      }
      if (rows.some(isProblem)) {
        await parts.close()
        throw new CheckFailedError(rows)
      }
      write('Config check:')
      for (const line of formatCheck(rows).split('\n')) write(`  ${line}`)
    }

    const resumed = await pipeline.resume()
    const invalid = new InvalidTally()
    const window = Math.min(config.delivery.maxQueue, REPLAY_WINDOW_BATCHES * config.delivery.batchSize)
    let read = 0
    const startedAt = performance.now()

    const bar =
      options.progress === 'bar'
        ? new SingleBar({ format: 'replay {bar} {percentage}% | {read} events | {rate} events/s', hideCursor: true })
        : undefined
    bar?.start(source.size, 0, { read: 0, rate: 0 })
    let lastLine = startedAt
    const report = (force = false) => {
      const now = performance.now()
      const rate = Math.round(read / Math.max(0.001, (now - startedAt) / 1000))
      if (bar) bar.update(source.bytesRead(), { read, rate })
      else if (options.progress === 'lines' && (force || now - lastLine >= PROGRESS_LINE_MS)) {
        lastLine = now
        const percent = source.size ? Math.round((100 * source.bytesRead()) / source.size) : 100
        write(`replay: ${read} events read (${percent}%), ${stats.totals.delivered} delivered, ${rate} events/s`)
      }
    }

    // Events are accepted without waiting for each to be stored, so a durable queue stores many per commit; the
    // first that cannot be stored stops the replay. A replayed file is not deduplicated: replaying it again is
    // meant to deliver it again.
    let failure: Error | undefined
    let storing = 0
    const shared = parts.queue instanceof RedisQueue ? parts.queue : undefined
    const subscriptions = config.subscriptions.filter((s) => s.enabled).map((s) => s.name)
    const pollMs = config.queue.redis?.pollMs ?? REDIS_QUEUE_DEFAULTS.pollMs

    /**
     * Polls what the shared queue holds of the replayed subscriptions, over every runtime, until `enough` holds,
     * and returns it. Gives up, returning what is still there, once it has not gone down for `patienceMs`.
     */
    const waitOnShared = async (queue: RedisQueue, enough: (queued: number) => boolean, patienceMs: number) => {
      let lowest = Infinity
      let since = performance.now()
      for (;;) {
        const queued = await queue.queuedCount(subscriptions)
        if (failure || enough(queued)) return queued
        if (queued < lowest) [lowest, since] = [queued, performance.now()]
        else if (performance.now() - since > patienceMs) return queued
        report()
        await sleep(pollMs)
      }
    }

    const measureEvery = Math.max(1, Math.floor(window / 4))
    let sinceMeasured = 0
    /**
     * Holds the reading back while delivery is a window behind, so that a file of any size takes flat memory and
     * queue. In a shared queue `depth` counts only what this process has read from it: Redis tells what waits
     * there, and the replay also leaves half of the queue's bytes to what the runtimes sharing it ingest.
     */
    const room = async () => {
      if (pipeline.depth >= window) await pipeline.waitForDepthBelow(window)
      if (!shared || ++sinceMeasured < measureEvery) return
      sinceMeasured = 0
      // Nothing of these subscriptions queued: their delivery cannot free room, so waiting would not end.
      const enough = (queued: number) => queued === 0 || (queued < window && shared.hasRoom(config.queue.maxBytes / 2))
      const queued = await waitOnShared(shared, enough, STALL_WARNING_MS)
      if (!enough(queued) && !failure) {
        // Reading on: should the queue fill, the replay stops with the queue's own words.
        options.logger.warn(
          { queued, store: shared.location },
          `the replayed subscriptions' events in the shared queue have not moved for ${STALL_WARNING_MS / 1000} s: ` +
            'is a runtime that delivers them running?'
        )
      }
    }

    let fileError: EventFileError | undefined
    let drained: DrainResult | undefined
    /** Events of the replayed subscriptions still in a shared queue when the replay stopped waiting for them. */
    let stillShared = 0
    try {
      try {
        for await (const item of source.items) {
          if (failure) break
          read++
          const parsed = item.ok ? parseEvent(item.value, config.ingest.maxEventBytes) : item
          if (!parsed.ok) {
            stats.invalid++
            invalid.add(parsed.reason, item.at, item.ok ? undefined : item.detail)
            continue
          }
          await room()
          storing++
          pipeline
            .accept(parsed.event, { dedup: false })
            .catch((error: Error) => (failure ??= error))
            .finally(() => storing--)
          if (read % 1000 === 0) report()
        }
      } catch (error) {
        if (!(error instanceof EventFileError)) throw error
        fileError = error
      }
      // A shared queue's drain delivers what this process has read, and may leave the rest to the other runtimes
      // (or the next start): the replay is done when the queue has delivered what it put there.
      if (shared) {
        const patienceMs = config.delivery.shutdownTimeoutMs
        stillShared = await waitOnShared(shared, (queued) => queued === 0 && storing === 0, patienceMs)
      }
    } finally {
      drained = await parts.close()
      report(true)
      bar?.stop()
    }

    const elapsedSeconds = (performance.now() - startedAt) / 1000
    const json = stats.toJSON(pipeline.depth)
    const summary: ReplaySummary = {
      file,
      read,
      invalid: { count: invalid.count, unit: source.unit, reasons: invalid.toJSON() },
      accepted: json.accepted,
      matched: json.matched,
      unmatched: json.unmatched,
      delivered: json.delivered,
      refused: json.refused,
      retried: json.retried,
      deadLettered: json.deadLettered,
      reasons: json.reasons,
      importsPerList: json.importsPerList,
      messagesPerList: json.messagesPerList,
      unchanged: json.unchanged,
      deliveredPerList: Object.fromEntries(Object.entries(json.perList).map(([list, c]) => [list, c.delivered])),
      resumed,
      left: Math.max(drained.left, stillShared),
      lost: json.lost,
      elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
      eventsPerSecond: Math.round(read / Math.max(elapsedSeconds, 0.001)),
      deadLetters: parts.queue.durable
        ? `the queue store ${parts.queue.location} (listrak-actions dead-letters list)`
        : config.delivery.deadLetterFile,
      ...(sandbox
        ? {
            sandboxUrl: sandbox.url,
            contacts: sandboxContacts(sandbox.state),
            messages: sandboxMessages(sandbox.state)
          }
        : {})
    }
    // A file that broke before its first event did nothing worth a summary.
    if (fileError && read === 0) throw fileError
    if (fileError)
      throw new ReplayStoppedError(`${fileError.message} The replay stopped there, after ${read} event(s).`, summary)
    if (failure) throw new ReplayStoppedError(`The replay stopped after ${read} events: ${failure.message}`, summary)
    return summary
  } finally {
    if (!options.listrak) await listrak.close()
  }
}

/**
 * What did not go through, each part worded for a person: events not delivered (dead-lettered, left queued, lost)
 * and entries of the file that were not events. Empty when everything matched was delivered.
 */
export function replayFailures(summary: ReplaySummary): string[] {
  const { unit } = summary.invalid
  return [
    [summary.deadLettered, `${summary.deadLettered} event(s) dead-lettered (see ${summary.deadLetters})`],
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
    ['elapsed', `${summary.elapsedSeconds} s`],
    ['events/s', String(summary.eventsPerSecond)]
  ]
  if (summary.left > 0) rows.push(['left in the queue', `${summary.left} (delivered by the next run)`])
  if (summary.lost > 0) rows.push(['lost', `${summary.lost} (in memory, could not be dead-lettered)`])
  if (summary.deadLettered > 0) rows.push(['dead letters in', summary.deadLetters])
  const keys = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(keys)}  ${typeof v === 'string' ? v : v(keys + 2)}`).join('\n')
}

/** Each list of the sandbox with its contacts, summed up: how many, the first few, and the values they hold. */
export function sandboxContacts(state: SandboxState): ListContacts[] {
  return [...state.lists.values()].map(({ summary, fields: listFields }) => {
    const contacts = state.contactDetailsOf(summary.listId)
    const counts = new Map<string, Map<string, number>>()
    for (const contact of contacts) {
      for (const [id, value] of Object.entries(contact.fields)) {
        const values = counts.get(id) ?? new Map<string, number>()
        values.set(value, (values.get(value) ?? 0) + 1)
        counts.set(id, values)
      }
    }
    const fields = [...counts.entries()]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([id, values]) => {
        const sorted = [...values.entries()].sort((a, b) => b[1] - a[1])
        const name = listFields.get(Number(id))?.segmentationFieldName
        return {
          id,
          ...(name ? { name } : {}),
          values: sorted.slice(0, VALUES_SHOWN),
          otherValues: sorted.slice(VALUES_SHOWN).reduce((sum, [, n]) => sum + n, 0)
        }
      })
    // The contact route wrote to this list: a state other than an import's, an external ID or events raised.
    const written = contacts.some(
      (c) =>
        c.subscribeMethod !== METHOD.IMPORT ||
        c.subscriptionState !== 'Subscribed' ||
        c.externalContactID !== null ||
        c.events.length > 0
    )
    const first = contacts.slice(0, CONTACTS_SHOWN).map((c): SandboxContact =>
      written
        ? {
            emailAddress: c.emailAddress,
            fields: c.fields,
            subscriptionState: c.subscriptionState,
            ...(c.externalContactID === null ? {} : { externalContactID: c.externalContactID }),
            ...(c.events.length > 0 ? { events: c.events.map((e) => e.eventId) } : {})
          }
        : { emailAddress: c.emailAddress, fields: c.fields }
    )
    const unsubscribed = contacts.filter((c) => c.subscriptionState === 'Unsubscribed').length
    return {
      listId: summary.listId,
      listName: summary.listName,
      count: contacts.length,
      ...(written ? { states: { subscribed: contacts.length - unsubscribed, unsubscribed } } : {}),
      first,
      fields
    }
  })
}

/** The transactional messages the sandbox recorded, per list and message: how many, to whom, with which values. */
export function sandboxMessages(state: SandboxState): SentMessages {
  const { total, kept, data } = state.messagesSent({})
  const groups = new Map<string, typeof data>()
  for (const send of data) {
    const key = `${send.listId}|${send.transactionalMessageId}`
    groups.set(key, [...(groups.get(key) ?? []), send])
  }
  const messages = [...groups.values()].map((sends) => {
    const { listId, transactionalMessageId } = sends[0]
    const perRecipient = new Map<string, { emailAddress: string; count: number; mergeValues: Record<string, string> }>()
    for (const send of sends) {
      const key = send.emailAddress.toLowerCase()
      const mergeValues = Object.fromEntries(send.segmentationFieldValues.map((v) => [v.segmentationFieldId, v.value]))
      const count = (perRecipient.get(key)?.count ?? 0) + 1
      perRecipient.set(key, { emailAddress: send.emailAddress, count, mergeValues })
    }
    const name = state.lists.get(listId)?.transactionalMessages.get(transactionalMessageId)?.transactionalMessageName
    return {
      listId,
      transactionalMessageId,
      ...(name ? { name } : {}),
      sent: sends.length,
      recipients: perRecipient.size,
      first: [...perRecipient.values()].slice(0, CONTACTS_SHOWN)
    }
  })
  return { total, kept, messages }
}

/** The sandbox's contacts after a replay, as a person reads them. */
export function formatContacts(lists: ListContacts[]): string {
  const lines = ['Contacts in the sandbox after the replay:']
  for (const list of lists) {
    const heading = `  list ${list.listId} "${list.listName}": `
    if (list.count === 0) {
      lines.push(`${heading}no contacts`)
      continue
    }
    const states = list.states ? `, ${list.states.subscribed} subscribed, ${list.states.unsubscribed} unsubscribed` : ''
    lines.push(`${heading}${list.count} contact(s)${states}`)
    for (const field of list.fields) {
      const values = field.values.map(([value, n]) => `${JSON.stringify(value)} ${n}`)
      if (field.otherValues) values.push(`other values ${field.otherValues}`)
      lines.push(`    field ${field.id}${field.name ? ` ${field.name}` : ''}: ${values.join(', ')}`)
    }
    const width = Math.max(...list.first.map((c) => c.emailAddress.length))
    for (const contact of list.first) {
      const { emailAddress, fields, subscriptionState, externalContactID, events } = contact
      const state = [
        ...(subscriptionState ? [subscriptionState] : []),
        ...(externalContactID ? [`external ID ${externalContactID}`] : []),
        ...(events ? [`events ${events.join(', ')}`] : [])
      ].join(', ')
      lines.push(`    ${emailAddress.padEnd(width)}  ${JSON.stringify(fields)}${state ? `  ${state}` : ''}`)
    }
    if (list.count > list.first.length) lines.push(`    … and ${list.count - list.first.length} more`)
  }
  return lines.join('\n')
}

/** The transactional messages the sandbox recorded after a replay, as a person reads them; empty when none. */
export function formatMessages(sent: SentMessages): string {
  if (sent.total === 0) return ''
  const kept = sent.kept < sent.total ? ` (the sandbox kept the newest ${sent.kept}; what follows is about them)` : ''
  const lines = [`Transactional messages sent in the sandbox: ${sent.total}${kept}`]
  for (const message of sent.messages) {
    const name = message.name ? ` "${message.name}"` : ''
    lines.push(
      `  list ${message.listId}, message ${message.transactionalMessageId}${name}: ${message.sent} sent to ` +
        `${message.recipients} recipient(s)`
    )
    const width = Math.max(...message.first.map((r) => r.emailAddress.length))
    for (const { emailAddress, count, mergeValues } of message.first)
      lines.push(`    ${emailAddress.padEnd(width)}  ${count}×  ${JSON.stringify(mergeValues)}`)
    if (message.recipients > message.first.length)
      lines.push(`    … and ${message.recipients - message.first.length} more`)
  }
  return lines.join('\n')
}
