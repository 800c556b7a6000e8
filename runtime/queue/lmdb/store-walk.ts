import { closeSync, openSync, writeSync } from 'fs'
import { open } from 'lmdb'
import type { Database, RootDatabase } from 'lmdb'
import { END, MAX_TABLES, StoredEvent, TABLES } from './layout'

/**
 * Reads a queue store in a process of its own, for `store-check.ts`. LMDB maps its file into memory and trusts
 * it: a damaged or truncated file does not raise an error but kills the process that reads it (SIGBUS, SIGSEGV,
 * an assertion's abort). Here only this process dies, and the one that ran it says what happened.
 *
 *   store-walk check <dir>          reads every entry of every table
 *   store-walk salvage <dir> <out>  appends each queued event to <out> (NDJSON) as soon as it is read
 */

/**
 * Each table, and whether its values are read too: an event or a dead letter may be large enough for pages of its
 * own (overflow pages); the dedup window's values are small, and live on the pages its keys are read from.
 */
const WALKED: [string, boolean][] = [
  [TABLES.events, true],
  [TABLES.deadLetters, true],
  [TABLES.seen, false],
  [TABLES.seenByTime, false],
  [TABLES.imports, true],
  [TABLES.importRows, true],
  [TABLES.importsFinished, true]
]

const openStore = (dir: string, encoding: 'binary' | 'msgpack'): RootDatabase =>
  open({ path: dir, noSubdir: false, readOnly: true, maxDbs: MAX_TABLES, encoding })

/** Touches every page a table's entries live on: its branches, leaves and overflow pages. */
function check(dir: string): void {
  const root = openStore(dir, 'binary')
  for (const [name, values] of WALKED) {
    // Keys and values are copied out of the map undecoded, so every page is read and nothing else is done.
    const table = root.openDB<Buffer, Buffer>(name, { encoding: 'binary', keyEncoding: 'binary' }) as
      ReturnType<typeof root.openDB<Buffer, Buffer>> | undefined
    // A store written before a table existed has none: opened read-only, LMDB gives nothing for it.
    if (!table) continue
    for (const entry of values ? table.getRange() : table.getKeys()) void entry
  }
}

/** The subscriptions that have events queued. */
function subscriptionsOf(events: Database<StoredEvent, [string, number]>): string[] {
  const found: string[] = []
  for (let start: string[] | undefined; ;) {
    const [first] = events.getKeys({ start, limit: 1 })
    if (!first) return found
    found.push(first[0])
    start = [first[0], END]
  }
}

/**
 * Writes each queued event once, in position order (the order they were accepted), merging the subscriptions'
 * ranges: an event queued for two subscriptions is stored twice at one position. Events whose delivery was under
 * way at most once (attempts stored negated) are left out: whether they went is unknown. Each line is written
 * as soon as it is read, so what was read before a crash is in the file.
 */
function salvage(dir: string, out: string): void {
  const events = openStore(dir, 'msgpack').openDB<StoredEvent, [string, number]>(TABLES.events, {})
  const ranges = subscriptionsOf(events).map((subscription) =>
    events.getRange({ start: [subscription], end: [subscription, END] })[Symbol.iterator]()
  )
  const heads = ranges.map((range) => range.next())
  const fd = openSync(out, 'a')
  let last = -1
  let unknown = 0
  for (;;) {
    let next = -1
    heads.forEach((head, i) => {
      if (!head.done && (next < 0 || head.value.key[1] < heads[next].value!.key[1])) next = i
    })
    if (next < 0) break
    const { key, value } = heads[next].value!
    heads[next] = ranges[next].next()
    if (key[1] === last) continue
    last = key[1]
    if (value.attempts < 0) unknown++
    else writeSync(fd, `${JSON.stringify(value.event)}\n`)
  }
  closeSync(fd)
  process.stdout.write(JSON.stringify({ unknown }))
}

const [command, dir, out] = process.argv.slice(2)
try {
  if (command === 'check' && dir) check(dir)
  else if (command === 'salvage' && dir && out) salvage(dir, out)
  else throw new Error('usage: store-walk check <dir> | salvage <dir> <out>')
} catch (error) {
  process.stderr.write((error as Error).message)
  process.exitCode = 1
}
