import { ConfigError, RuntimeConfig } from '../config'
import type { FinishedImport, FollowUp } from '../queue/follow-ups'
import { FINISHED_KEPT } from '../queue/follow-ups'
import { LmdbQueue } from '../queue/lmdb/queue'
import { openRedisFollowUps } from '../queue/redis/follow-ups'
import { REDIS_QUEUE_DEFAULTS } from '../queue/redis/options'
import { table } from './wrap'

/** `listrak-actions imports`: the list imports the runtime follows up, and those it finished lately. */

/** The refusals shown under a finished import sit indented so; the row's own columns leave them no room. */
const REFUSAL_INDENT = 4

interface ImportsReader {
  location: string
  following(): Promise<FollowUp[]>
  finished(): Promise<FinishedImport[]>
  close(): Promise<void>
}

/** The follow-ups to read: in the store (read beside the runtime, as `dead-letters list` does), or in Redis. */
async function openReader(config: RuntimeConfig): Promise<ImportsReader> {
  const { redis, memory } = config.queue
  if (redis) return openRedisFollowUps(redis.url, redis.keyPrefix ?? REDIS_QUEUE_DEFAULTS.keyPrefix)
  if (memory) {
    throw new ConfigError(
      'This config keeps the queue in memory (queue.memory), so the list imports it follows are in the running ' +
        'runtime only: see listImports in its /stats, and its dead letters in the file it names. Nothing is kept once it stops.'
    )
  }
  const { path, maxBytes, dedupWindowMs, dedupMaxEntries } = config.queue
  const store = new LmdbQueue({ path, maxBytes, dedupWindowMs, dedupMaxEntries, role: 'reader' })
  return {
    location: store.location,
    following: () => store.imports.following(),
    finished: () => store.imports.finished(),
    close: () => store.close()
  }
}

const dash = (value: string | undefined) => (value === undefined || value === '' ? '-' : value)

function followingTable(following: FollowUp[]): string {
  return table([
    ['subscription', 'list', 'import', 'since', 'rows', "Listrak's status", 'checked', 'polls'],
    ...following.map((f) => [
      f.subscription,
      String(f.listId),
      f.importFileId,
      f.startedAt,
      String(f.rows),
      dash(f.status),
      dash(f.checkedAt),
      String(f.polls)
    ])
  ])
}

/** Each finished import's row, with the addresses Listrak refused under it. */
function finishedRows(finished: FinishedImport[]): string {
  const rows = table([
    ['subscription', 'list', 'import', 'finished', 'outcome', "Listrak's status", 'rows', 'refused', 'dead-lettered'],
    ...finished.map((f) => [
      f.subscription,
      String(f.listId),
      f.importFileId,
      f.finishedAt,
      f.outcome,
      dash(f.status),
      String(f.rows),
      String(f.refused),
      String(f.deadLettered)
    ])
  ]).split('\n')
  const indent = ' '.repeat(REFUSAL_INDENT)
  return [
    rows[0],
    ...finished.map((f, i) => {
      const refusals = f.refusals.map(({ importResult, emailAddress }) => [importResult, emailAddress])
      const under = refusals.length > 0 ? table(refusals).split('\n') : []
      const more = f.refused - f.refusals.length
      if (more > 0) under.push(`and ${more} more: their dead letters name list import ${f.importFileId}`)
      return [rows[i + 1], ...under.map((line) => `${indent}${line}`)].join('\n')
    })
  ].join('\n')
}

/**
 * The imports being followed (list, import, since when, rows, Listrak's last status) and the last ones finished
 * (how: completed, timed out, not found, failed; rows, refused, dead-lettered), with the refused addresses and
 * Listrak's word for each.
 */
export async function listImports(config: RuntimeConfig): Promise<string> {
  const reader = await openReader(config)
  try {
    const [following, finished] = [await reader.following(), await reader.finished()]
    const lines = [
      following.length === 0
        ? `No list import is being followed in ${reader.location}.`
        : `${following.length} list import(s) being followed in ${reader.location}:\n${followingTable(following)}`,
      ''
    ]
    if (finished.length === 0) lines.push('No list import has finished yet.')
    else {
      lines.push(
        `${finished.length} finished, newest first (the last ${FINISHED_KEPT} are kept):`,
        finishedRows(finished)
      )
    }
    return lines.join('\n')
  } finally {
    await reader.close()
  }
}
