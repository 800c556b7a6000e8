import { randomUUID } from 'crypto'
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'fs'
import os from 'os'
import path from 'path'

const LOCK_FILE = 'owner.json'
const INSTANCE = randomUUID()
const HALF_WRITTEN_MS = 5000

interface Owner {
  pid: number
  /** Tells this process from an earlier one that had the same process ID. */
  instance: string
  host: string
  since: string
}

/** Another process owns the queue store. */
export class StoreLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Owner
  } catch {
    return undefined
  }
}

/** Removes the lock file; a failure names the file and why, e.g. `cannot remove …/owner.json (EROFS): …`. */
function removeLock(file: string): void {
  try {
    rmSync(file, { force: true })
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    // Node says `EROFS: read-only file system, unlink '<file>'`: the code and the file are said once already.
    const reason = /^[A-Z]+: (.*), \w+ '.*'$/.exec(message)?.[1] ?? message
    throw new Error(`cannot remove ${file} (${code}): ${reason}`)
  }
}

/**
 * Makes this process the only owner of the queue store in `dir`. LMDB lets several processes open one store,
 * which is right for readers (`dead-letters list`) but wrong for two runtimes: both would deliver the same events.
 * A lock left by a process that died (kill -9, a crash) is taken over. Returns the release function.
 */
export function lockStore(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE)
  const me: Owner = { pid: process.pid, instance: INSTANCE, host: os.hostname(), since: new Date().toISOString() }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, JSON.stringify(me))
      closeSync(fd)
      return () => {
        if (readOwner(file)?.instance === me.instance) removeLock(file)
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = readOwner(file)
    if (owner?.instance === me.instance) {
      throw new StoreLockedError(
        `The queue store ${dir} is already open in this process: one runtime per store (give each its own queue.path).`
      )
    }
    // The same process ID on the same host, but another instance: a container restarted (its runtime is PID 1
    // again), so the owner is gone.
    const gone = owner
      ? owner.host === me.host && (owner.pid === me.pid || !alive(owner.pid))
      : // Unreadable: half written by a process taking the lock right now, or left half written long ago.
        Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > HALF_WRITTEN_MS
    if (!owner && !gone) {
      throw new StoreLockedError(`The queue store ${dir} is being opened by another process.`)
    }
    if (owner && !gone) {
      throw new StoreLockedError(
        `The queue store ${dir} is in use by process ${owner.pid} on ${owner.host} (since ${owner.since}). ` +
          'Two runtimes cannot share one store: stop that one, or give this one another queue.path (or --memory). ' +
          `If that process is gone, delete ${file}.`
      )
    }
    rmSync(file, { force: true })
  }
  throw new StoreLockedError(`Could not lock the queue store ${dir}: another process took it at the same time.`)
}
