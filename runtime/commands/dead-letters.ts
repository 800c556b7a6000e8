import type { ListrakRequest } from '../../src/api/client'
import { closeSync, fchmodSync, openSync, writeSync } from 'fs'
import { once } from 'events'
import { ConfigError, hasCredentials, RuntimeConfig } from '../config'
import { connectListrak } from '../index'
import { LmdbQueue } from '../queue/lmdb/queue'
import { fetchListrakToken, withToken } from '../pipeline/tokens'
import type { DeadLetter, DeadLetterFilter } from '../queue'
import { formatReconcile, reconcile } from './reconcile'
import { openRedisDeadLetters } from '../queue/redis/dead-letters'
import { REDIS_QUEUE_DEFAULTS } from '../queue/redis/options'
import { NOT_RECONCILED, retryRefusal, RetryRefusal } from './reconcile/unknown-outcomes'
import { DEFAULT_WIDTH, table, wrapFrom } from './wrap'

/** What `listrak-actions dead-letters …` does with the dead letters in a config's queue store. */

const NEWEST_ROWS = 20
/** The newest rows' reasons sit under their row, indented so: the row's own columns leave them no room. */
const REASON_INDENT = 4

/** A command that cannot work on this queue: the CLI exits with status 2, as for a usage error. */
export class UnavailableCommandError extends Error {
  readonly exitCode = 2
}

/** What `list` and `export` read, from the store or from Redis. */
interface DeadLetterReader {
  location: string
  deadLetters(
    filter?: DeadLetterFilter,
    options?: { newestFirst?: boolean; limit?: number }
  ): Iterable<DeadLetter> | AsyncIterable<DeadLetter>
  close(): Promise<void>
}

/** The dead letters to read: the store's, or those in Redis (read beside the runtimes, joining none of them). */
async function withReader<T>(config: RuntimeConfig, use: (reader: DeadLetterReader) => Promise<T>): Promise<T> {
  const { redis } = config.queue
  if (!redis) return withStore(config, 'reader', use)
  const reader = await openRedisDeadLetters(redis.url, redis.keyPrefix ?? REDIS_QUEUE_DEFAULTS.keyPrefix)
  try {
    return await use(reader)
  } finally {
    await reader.close()
  }
}

/** Retry, reconcile and purge change the dead letters in the store only. */
function refuseRedis(
  config: RuntimeConfig,
  command: string,
  instead = 'post exported events to a runtime again to re-send them'
): void {
  if (!config.queue.redis) return
  throw new UnavailableCommandError(
    `dead-letters ${command} is not available for a queue in Redis (queue.redis) yet: use dead-letters list and ` +
      `export to see them, and ${instead}.`
  )
}

function openStore(config: RuntimeConfig, role: 'owner' | 'reader'): LmdbQueue {
  if (config.queue.memory) {
    throw new ConfigError(
      `This config keeps the queue in memory (queue.memory), so its dead letters are not in a store: they are in ${config.delivery.deadLetterFile}, one JSON object per line.`
    )
  }
  const { path, maxBytes, dedupWindowMs, dedupMaxEntries } = config.queue
  return new LmdbQueue({ path, maxBytes, dedupWindowMs, dedupMaxEntries, role })
}

async function withStore<T>(
  config: RuntimeConfig,
  role: 'owner' | 'reader',
  use: (store: LmdbQueue) => Promise<T> | T
): Promise<T> {
  const store = openStore(config, role)
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

/** Counts by reason, most frequent first; reads the letters one at a time, however many there are. */
async function byReason(
  letters: Iterable<DeadLetter> | AsyncIterable<DeadLetter>,
  width: number
): Promise<{ total: number; text: string }> {
  const groups = new Map<string, { status: number; count: number }>()
  let total = 0
  for await (const { status, reason } of letters) {
    const group = groups.get(reason) ?? { status, count: 0 }
    group.count++
    groups.set(reason, group)
    total++
  }
  const rows = [...groups].sort((a, b) => b[1].count - a[1].count)
  const text = table(
    [
      ['count', 'status', 'reason'],
      ...rows.map(([reason, { status, count }]) => [String(count), String(status), reason])
    ],
    width
  )
  return { total, text }
}

function describe(filter: DeadLetterFilter): string {
  const parts = [
    filter.reason !== undefined ? `reason containing "${filter.reason}"` : '',
    filter.listId !== undefined ? `list ${filter.listId}` : ''
  ].filter(Boolean)
  return parts.length ? ` (${parts.join(', ')})` : ''
}

/** The newest rows, each with its whole reason under it, wrapped to `width`. */
function newestRows(letters: DeadLetter[], width: number): string {
  const rows = table([
    ['id', 'at', 'subscription', 'list', 'status', 'attempts', 'messageId'],
    ...letters.map((l) => [
      String(l.id),
      l.at,
      l.subscription,
      l.listId === undefined ? '-' : String(l.listId),
      String(l.status),
      String(l.attempts),
      l.messageId ?? '-'
    ])
  ]).split('\n')
  const indent = ' '.repeat(REASON_INDENT)
  return [
    rows[0],
    ...letters.map((l, i) => `${rows[i + 1]}\n${indent}${wrapFrom(l.reason, REASON_INDENT, width)}`)
  ].join('\n')
}

/** Counts by reason, then the newest rows; reasons are shown whole, wrapped to `width` columns. */
export function listDeadLetters(
  config: RuntimeConfig,
  filter: DeadLetterFilter = {},
  limit = NEWEST_ROWS,
  width = DEFAULT_WIDTH
): Promise<string> {
  return withReader(config, async (store) => {
    const { total, text } = await byReason(store.deadLetters(filter), width)
    if (total === 0) return `No dead letters${describe(filter)} in ${store.location}.`
    const newest: DeadLetter[] = []
    for await (const letter of store.deadLetters(filter, { newestFirst: true, limit })) newest.push(letter)
    return [
      `${total} dead letter(s)${describe(filter)} in ${store.location}, by reason:`,
      text,
      '',
      `Newest ${newest.length}:`,
      newestRows(newest, width)
    ].join('\n')
  })
}

/**
 * Writes the dead letters as NDJSON, oldest first: to `out` (created readable by its owner only: events carry
 * email addresses) or to standard output. Returns how many it wrote.
 */
export function exportDeadLetters(config: RuntimeConfig, filter: DeadLetterFilter, out?: string): Promise<number> {
  return withReader(config, async (store) => {
    let count = 0
    if (out) {
      const fd = openSync(out, 'w', 0o600)
      try {
        // A file that was there keeps its mode when opened; the export's must not be readable by others.
        fchmodSync(fd, 0o600)
        for await (const letter of store.deadLetters(filter)) {
          writeSync(fd, `${JSON.stringify(letter)}\n`)
          count++
        }
      } finally {
        closeSync(fd)
      }
      return count
    }
    for await (const letter of store.deadLetters(filter)) {
      if (!process.stdout.write(`${JSON.stringify(letter)}\n`)) await once(process.stdout, 'drain')
      count++
    }
    return count
  })
}

function perSubscription(letters: DeadLetter[]): string {
  const counts = new Map<string, number>()
  for (const { subscription } of letters) counts.set(subscription, (counts.get(subscription) ?? 0) + 1)
  return [...counts].map(([name, n]) => `"${name}": ${n}`).join(', ')
}

const NOT_ENABLED: RetryRefusal = {
  what: 'whose subscription is not enabled in the config',
  remedy: 'enable it, or purge them'
}

/**
 * Puts the dead letters back in the queue, at the end of their subscription's, for the runtime to deliver at its
 * next start. It needs the store to itself: a running runtime holds it, and would not see the events. Messages of
 * unknown outcome stay unless reconciled as not sent (or `force`), and those settled as sent always stay: `refused`
 * counts the letters of unknown outcome it kept.
 */
export async function retryDeadLetters(
  config: RuntimeConfig,
  filter: DeadLetterFilter,
  options: { force?: boolean } = {}
): Promise<{ text: string; refused: number }> {
  const enabled = new Set(config.subscriptions.filter((s) => s.enabled).map((s) => s.name))
  refuseRedis(config, 'retry')
  return withStore(config, 'owner', async (store) => {
    const refusals = new Map<string, RetryRefusal>()
    const { requeued, kept } = await store.requeue(filter, (letter) => {
      const refusal = enabled.has(letter.subscription) ? retryRefusal(letter, options.force === true) : NOT_ENABLED
      if (refusal) refusals.set(refusal.what, refusal)
      return refusal?.what
    })
    const lines = [
      requeued.length === 0
        ? `No dead letters${describe(filter)} to re-queue in ${store.location}.`
        : `Re-queued ${requeued.length} dead letter(s)${describe(filter)} (${perSubscription(requeued)}); the runtime delivers them when it starts.`
    ]
    const byWhy = new Map<string, DeadLetter[]>()
    for (const { letter, why } of kept) byWhy.set(why, [...(byWhy.get(why) ?? []), letter])
    for (const [why, letters] of byWhy) {
      lines.push(`Kept ${letters.length} ${why} (${perSubscription(letters)}): ${refusals.get(why)?.remedy}.`)
    }
    const refused = byWhy.get(NOT_RECONCILED.what)?.length ?? 0
    return { text: lines.join('\n'), refused }
  })
}

/** A request client for Listrak's API with a token of the config's credentials; throws when none is had. */
export async function listrakReader(config: RuntimeConfig): Promise<ListrakRequest> {
  if (!hasCredentials(config)) {
    throw new ConfigError(
      "dead-letters reconcile asks Listrak's activity, so it needs the credentials the runtime delivers with " +
        '(settings.client_id and settings.client_secret, or LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET). ' +
        'Nothing was reconciled.'
    )
  }
  const { settings } = await connectListrak(config)
  try {
    return withToken((await fetchListrakToken(settings)).accessToken)
  } catch (error) {
    throw new Error(`Nothing was reconciled: no token from Listrak. ${(error as Error).message}`)
  }
}

/**
 * Settles the dead letters of unknown outcome from Listrak's activity (see runtime/commands/reconcile/). Works beside a
 * running runtime: it only rewrites letters.
 */
export async function reconcileDeadLetters(
  config: RuntimeConfig,
  filter: DeadLetterFilter
): Promise<{ text: string; unsettled: number }> {
  refuseRedis(config, 'reconcile', "check each message's activity in Listrak before sending it again")
  return withStore(config, 'reader', async (store) => {
    const report = await reconcile(store, config, filter, () => listrakReader(config))
    return { text: formatReconcile(report, store.location, describe(filter)), unsettled: report.unsettled.length }
  })
}

/** Removes the dead letters and says which, by reason, wrapped to `width` columns. */
export async function purgeDeadLetters(
  config: RuntimeConfig,
  filter: DeadLetterFilter,
  width = DEFAULT_WIDTH
): Promise<string> {
  refuseRedis(config, 'purge')
  return withStore(config, 'reader', async (store) => {
    const purged = await store.purge(filter)
    if (purged.length === 0) return `No dead letters${describe(filter)} to remove in ${store.location}.`
    const { text } = await byReason(purged, width)
    return [`Removed ${purged.length} dead letter(s)${describe(filter)} from ${store.location}:`, text].join('\n')
  })
}
