import { spawnSync, SpawnSyncReturns } from 'child_process'
import { closeSync, existsSync, openSync, readSync, statSync } from 'fs'
import path from 'path'

/** The queue store cannot be used as it is; the message says what was found and what to do. Exit code 2. */
export class StoreDamagedError extends Error {
  readonly exitCode = 2
}

/** The walker runs as it is from the build; from the sources (the tests), node loads it through tsx. */
const WALKER = path.join(__dirname, `store-walk${path.extname(__filename)}`)
const LOADER = __filename.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : []

/** What killed a walk, in the words a user needs. */
const SIGNALS: Partial<Record<NodeJS.Signals, string>> = {
  SIGBUS: "the data file is shorter than the store's own records say (SIGBUS; was it truncated?)",
  SIGSEGV: 'the store points outside its data file (SIGSEGV): its header or a page is overwritten',
  SIGABRT: 'LMDB stopped at a damaged page (SIGABRT)'
}

function walk(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...LOADER, WALKER, ...args], { encoding: 'utf8' })
}

/** Why a walk did not complete: the signal that killed it, or the error it ended on. */
function failure(result: SpawnSyncReturns<string>): string {
  if (result.error) return result.error.message
  const said = result.stderr.trim().split('\n').filter(Boolean).pop()
  if (result.signal) return [SIGNALS[result.signal] ?? `killed by ${result.signal}`, said].filter(Boolean).join(': ')
  return said ?? `exit code ${result.status}`
}

const salvageHint = (dir: string) =>
  `Save what can still be read: listrak-actions store salvage --store ${dir} --out salvaged.ndjson ` +
  `(its events can then be replayed: listrak-actions replay salvaged.ndjson --config <your config>). ` +
  `Then move ${dir} aside, or remove it, to start with an empty store.`

/**
 * Refuses a store that would crash or silently lose what it held when opened, before this process maps it:
 *
 * - a data file that is empty, or gone while LMDB's lock file is there: the store was in use, and what it held
 *   is lost. LMDB would make a fresh store of it without a word;
 * - a data file LMDB cannot read through: every entry of every table is read in a child process, which a damaged
 *   page kills instead of this one.
 *
 * A directory without a store passes: it is a new one.
 */
export function checkStore(dir: string): void {
  const data = path.join(dir, 'data.mdb')
  const size = statSync(data, { throwIfNoEntry: false })?.size
  if (size === undefined && !existsSync(path.join(dir, 'lock.mdb'))) return
  if (!size) {
    const inUse = existsSync(path.join(dir, 'lock.mdb')) ? ' while lock.mdb shows the store was in use' : ''
    throw new StoreDamagedError(
      `The queue store ${dir} has lost its data: data.mdb is ${size === undefined ? 'missing' : 'empty (0 bytes)'}` +
        `${inUse}. The events it held, queued and dead-lettered, cannot be ` +
        'read, and the runtime does not start on it so that this does not go unnoticed. Restore data.mdb from ' +
        `a backup, or, to start with an empty store deliberately, remove ${dir}.`
    )
  }
  const result = walk(['check', dir])
  if (result.status !== 0) {
    throw new StoreDamagedError(
      `The queue store ${dir} is damaged, and the runtime does not open it (it would crash): ${failure(result)}. ` +
        salvageHint(dir)
    )
  }
}

export interface Salvage {
  /** Events written to the file. */
  saved: number
  /** Whether every queued event was read; if not, `stopped` says why. */
  complete: boolean
  stopped?: string
  /** At-most-once events whose delivery was under way: not saved, as whether they went is unknown. */
  unknown: number
}

/** Lines in a file, read a piece at a time: a salvage can be large. */
function lines(file: string): number {
  const fd = openSync(file, 'r')
  const buffer = Buffer.alloc(1 << 16)
  let count = 0
  for (let read; (read = readSync(fd, buffer)) > 0;) {
    for (let i = 0; i < read; i++) if (buffer[i] === 10) count++
  }
  closeSync(fd)
  return count
}

/**
 * Writes the queued events of a store, damaged or not, to `out` (NDJSON, one Segment event a line, in the order
 * they were accepted, readable by its owner only): what `replay` takes. The store is read in a child process,
 * which writes each event as it reads it: if damage kills it, what it read before is in the file.
 */
export function salvageStore(dir: string, out: string): Salvage {
  if (!existsSync(path.join(dir, 'data.mdb'))) {
    throw new StoreDamagedError(`There is no queue store at ${dir}: it has no data.mdb.`)
  }
  try {
    closeSync(openSync(out, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    throw new StoreDamagedError(
      `${out} exists already; give --out a file that does not, so that nothing is overwritten.`
    )
  }
  const result = walk(['salvage', dir, out])
  const complete = result.status === 0
  const { unknown } = complete ? (JSON.parse(result.stdout) as { unknown: number }) : { unknown: 0 }
  return { saved: lines(out), complete, unknown, ...(complete ? {} : { stopped: failure(result) }) }
}
