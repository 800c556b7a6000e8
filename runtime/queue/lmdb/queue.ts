import { createHash } from 'crypto'
import { chmodSync, existsSync, mkdirSync, statfsSync, statSync } from 'fs'
import { open } from 'lmdb'
import type { Database, RootDatabase } from 'lmdb'
import path from 'path'
import {
  DeadLetter,
  DeadLetterFilter,
  Enqueued,
  Enqueueing,
  EventQueue,
  matchesFilter,
  megabytes,
  QueuedEvent,
  QueueFullError,
  Settlement,
  ShuttingDownError,
  StoreWriteError
} from '..'
import { LmdbFollowUps } from './follow-ups'
import { END, MAX_TABLES, StoredEvent, TABLES } from './layout'
import { checkStore } from './store-check'
import { lockStore } from './store-lock'

export interface LmdbQueueOptions {
  path: string
  /**
   * Bytes the store may hold in queued events and dead letters before ingest answers 503. The dedup window is not
   * counted: it outlives the events it remembers, so a drained queue would stay full of it.
   */
  maxBytes: number
  dedupWindowMs: number
  /** The dedup window's own bound, apart from maxBytes: the oldest messageIds beyond it are forgotten first. */
  dedupMaxEntries: number
  /**
   * 'owner' for a runtime, or a command that moves events into the queue (`dead-letters retry`): it locks the
   * store. 'reader' for commands that only read or remove dead letters, which may run beside the runtime.
   */
  role: 'owner' | 'reader'
}

/** A dead letter as stored: its id is its key. */
type StoredLetter = Omit<DeadLetter, 'id'>

/** Dedup entries removed per pass, so that a pass never holds the event loop for long. */
const PRUNE_BATCH = 10_000
const PRUNE_EVERY_MS = 60_000
/** How stale the measured size may be when ingest asks for room. */
const MEASURE_EVERY_MS = 100
const FILES = ['data.mdb', 'lock.mdb']
/** LMDB's page, until the store's own is measured. */
const PAGE_BYTES = 4096

/** A value's share of its leaf page: its key and node header. */
const NODE_BYTES = 64

/**
 * What a value of `size` bytes takes in the store, as estimated between measurements: LMDB keeps a value over
 * about half a page on whole overflow pages of its own (a value of 30 KB takes 32 KB), and a smaller one in a leaf
 * page, each beside its key. Counting the bare size let the store grow past maxBytes by the rounding.
 */
const storedBytes = (size: number, pageSize: number): number =>
  (size > pageSize / 2 ? Math.ceil(size / pageSize) * pageSize : size) + NODE_BYTES

export class StoreMissingError extends Error {}

/** LMDB keys hold about 2 KB: a longer messageId (a client may send anything) is deduplicated by its digest. */
const dedupKey = (messageId: string) =>
  messageId.length <= 256 ? messageId : `sha256:${createHash('sha256').update(messageId).digest('hex')}`

/**
 * The durable queue on one machine, in LMDB (through lmdb-js): events per subscription, dead letters, and the
 * messageIds seen within the dedup window. A write resolves once LMDB has committed and synced it; writes made
 * while a commit is under way go into the next one, so many concurrent events share one sync.
 */
export class LmdbQueue implements EventQueue {
  readonly durable = true
  readonly shared = false
  readonly location: string
  readonly resumable = new Map<string, number>()
  private readonly root: RootDatabase
  private readonly events: Database<StoredEvent, [string, number]>
  private readonly letters: Database<StoredLetter, number>
  private readonly seen: Database<number, string>
  private readonly seenByTime: Database<null, [number, string]>
  readonly imports: LmdbFollowUps
  private nextPosition = 0
  private nextLetter = 1
  private readonly committing = new Set<string>()
  private pendingBytes = 0
  private measured = { at: 0, bytes: 0 }
  private pageSize = PAGE_BYTES
  /** Bytes committed since the last measurement, so that the bound holds between measurements. */
  private committedBytes = 0
  private lastPrune = Date.now()
  /** messageIds stored since the dedup window's size was last looked at. */
  private sinceCount = 0
  private pruning?: Promise<void>
  private closed = false
  private readonly release?: () => void

  constructor(private readonly options: LmdbQueueOptions) {
    const dir = path.resolve(options.path)
    this.location = dir
    if (options.role === 'reader' && !existsSync(path.join(dir, 'data.mdb'))) {
      throw new StoreMissingError(
        `There is no queue store at ${dir} (queue.path in the config, relative to where the command runs).`
      )
    }
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new Error(`queue.path ${dir} is a file; the queue store needs a directory there.`)
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.release = options.role === 'owner' ? lockStore(dir) : undefined
    try {
      checkStore(dir)
    } catch (error) {
      this.release?.()
      throw error
    }
    try {
      // overlappingSync off: a commit resolves only once it is synced, which is what an acknowledgement promises.
      // eventTurnBatching off: with it, lmdb-js holds a promise of its own for each event turn's commit, which
      // nobody can catch, so a commit that fails (a full disk) would end the process as an unhandled rejection.
      // Writes made while a commit is under way still share the next one.
      this.root = open({
        path: dir,
        noSubdir: false,
        overlappingSync: false,
        eventTurnBatching: false,
        maxDbs: MAX_TABLES
      })
      for (const file of FILES) chmodSync(path.join(dir, file), 0o600)
    } catch (error) {
      this.release?.()
      throw new Error(`Cannot open the queue store ${dir}: ${(error as Error).message}`)
    }
    this.events = this.root.openDB(TABLES.events, {})
    this.letters = this.root.openDB(TABLES.deadLetters, {})
    this.seen = this.root.openDB(TABLES.seen, {})
    this.seenByTime = this.root.openDB(TABLES.seenByTime, {})
    this.imports = new LmdbFollowUps(
      this.root,
      (write) => this.commitOpen(write),
      (letter, at) => this.letters.put(this.nextLetter++, { at, messageId: letter.event.messageId, ...letter })
    )
    this.scan()
  }

  /** Finds each subscription's unsettled events and the next free positions. */
  private scan(): void {
    let start: string[] | undefined
    for (;;) {
      const [first] = this.events.getKeys({ start, limit: 1 })
      if (!first) break
      const [subscription] = first
      this.resumable.set(subscription, this.events.getCount({ start: [subscription], end: [subscription, END] }))
      const [last] = this.events.getKeys({ start: [subscription, END], end: [subscription], reverse: true, limit: 1 })
      this.nextPosition = Math.max(this.nextPosition, last[1] + 1)
      start = [subscription, END]
    }
    const [lastLetter] = this.letters.getKeys({ reverse: true, limit: 1 })
    this.nextLetter = (lastLetter ?? 0) + 1
  }

  async enqueue(items: Enqueueing[], options: { dedup: boolean }): Promise<Enqueued[]> {
    if (this.closed) throw new ShuttingDownError()
    const dedup = options.dedup && this.options.dedupWindowMs > 0
    const ids = new Set<string>()
    let bytes = 0
    const results = items.map(({ event, subscriptions }): Enqueued => {
      const id = dedup && event.messageId ? dedupKey(event.messageId) : undefined
      if (id && (ids.has(id) || this.committing.has(id) || this.seenRecently(id))) return { duplicate: true }
      if (id) ids.add(id)
      bytes += storedBytes(Buffer.byteLength(JSON.stringify(event)), this.pageSize) * subscriptions.length
      return { duplicate: false, position: -1 }
    })
    if (!this.hasRoom(bytes)) {
      throw new QueueFullError(
        `The queue store is full: ${megabytes(this.bytes())} of queue.maxBytes ${megabytes(this.options.maxBytes)} ` +
          '(queued events and dead letters; see listrak-actions dead-letters).'
      )
    }
    for (const result of results) if (!result.duplicate) result.position = this.nextPosition++
    const at = Date.now()
    this.pendingBytes += bytes
    for (const id of ids) this.committing.add(id)
    try {
      // One transaction: the events and their messageIds are stored together or not at all.
      await this.commit(() => {
        items.forEach(({ event, subscriptions }, i) => {
          const result = results[i]
          if (result.duplicate) return
          for (const subscription of subscriptions) {
            this.events.put([subscription, result.position], { event, attempts: 0 })
          }
        })
        for (const id of ids) {
          this.seen.put(id, at)
          this.seenByTime.put([at, id], null)
        }
      })
      this.committedBytes += bytes
    } catch (error) {
      throw new StoreWriteError('store the events', error)
    } finally {
      this.pendingBytes -= bytes
      for (const id of ids) this.committing.delete(id)
    }
    this.prune(ids.size)
    return results
  }

  /**
   * Writes in one transaction. A failed commit rejects with lmdb-js' "Commit failed", and its cause (ENOSPC, EIO)
   * in a second promise, `commitError`, which must be handled too or it ends the process. The error thrown says
   * the cause, and how much room the store's filesystem has left, which is what a user acts on.
   */
  private async commit(write: () => void): Promise<void> {
    try {
      await this.root.batch(write)
    } catch (error) {
      const cause = await (error as { commitError?: Promise<never> }).commitError?.then(
        () => error as Error,
        (reason: Error) => reason
      )
      throw new Error(`${(cause ?? (error as Error)).message} (${this.room()})`)
    }
  }

  private room(): string {
    try {
      const { bavail, bsize } = statfsSync(this.location)
      return `${megabytes(bavail * bsize)} free on the filesystem of ${this.location}`
    } catch {
      return `the free space of ${this.location} could not be read`
    }
  }

  private seenRecently(id: string): boolean {
    const at = this.seen.get(id)
    return at !== undefined && Date.now() - at < this.options.dedupWindowMs
  }

  /**
   * Drops dedup entries older than the window, and the oldest beyond dedupMaxEntries, a batch at a time. Best
   * effort: a failed pass leaves entries that the next pass removes, and a stale entry only dedups a little longer.
   */
  private prune(added: number): void {
    this.sinceCount += added
    if (this.pruning || this.closed || added === 0) return
    const now = Date.now()
    if (this.sinceCount < PRUNE_BATCH && now - this.lastPrune < PRUNE_EVERY_MS) return
    this.sinceCount = 0
    const over = (this.seen.getStats() as { entryCount: number }).entryCount - this.options.dedupMaxEntries
    if (over <= 0 && now - this.lastPrune < PRUNE_EVERY_MS) return
    this.lastPrune = now
    const cutoff = now - this.options.dedupWindowMs
    const expired = Array.from(this.seenByTime.getKeys({ limit: PRUNE_BATCH })).filter(
      ([at], i) => at < cutoff || i < over
    )
    if (expired.length === 0) return
    this.pruning = this.commit(() => {
      for (const key of expired) {
        this.seenByTime.remove(key)
        if (this.seen.get(key[1]) === key[0]) this.seen.remove(key[1])
      }
    })
      .then(
        () => undefined,
        () => undefined
      )
      .finally(() => {
        this.pruning = undefined
        // Still over the limit: the next enqueue prunes again.
        if (over > expired.length) this.sinceCount = PRUNE_BATCH
      })
  }

  async read(subscription: string, after: number, limit: number): Promise<QueuedEvent[]> {
    if (this.closed) return []
    const range = this.events.getRange({
      start: [subscription, after],
      exclusiveStart: true,
      end: [subscription, END],
      limit
    })
    return Array.from(range, ({ key, value }) => ({ position: key[1], event: value.event, attempts: value.attempts }))
  }

  async settle({ subscription, delivered, deadLettered, retried, followUps }: Settlement): Promise<void> {
    if (this.closed) throw new StoreWriteError('record the outcome', new Error('the store is closed'))
    const at = new Date().toISOString()
    try {
      await this.commit(() => {
        if (followUps) this.imports.record(subscription, followUps, at)
        for (const position of delivered) this.events.remove([subscription, position])
        for (const { position, letter } of deadLettered) {
          this.events.remove([subscription, position])
          this.letters.put(this.nextLetter++, { at, messageId: letter.event.messageId, ...letter })
        }
        for (const { position, event, attempts } of retried)
          this.events.put([subscription, position], { event, attempts })
      })
    } catch (error) {
      throw new StoreWriteError('record the outcome', error)
    }
  }

  /** A write of the follow-ups: refused once the store is closed, and with the store's words when it fails. */
  private async commitOpen(write: () => void): Promise<void> {
    if (this.closed) throw new StoreWriteError('record a list import', new Error('the store is closed'))
    try {
      await this.commit(write)
    } catch (error) {
      throw new StoreWriteError('record a list import', error)
    }
  }

  hasRoom(bytes: number): boolean {
    return this.bytes() + this.pendingBytes + bytes <= this.options.maxBytes
  }

  /**
   * Pages in use by queued events, dead letters and the events of list imports being followed up (free pages LMDB
   * reuses are not counted, nor the dedup window), measured at most every 100 ms.
   */
  bytes(): number {
    const now = Date.now()
    if (now - this.measured.at >= MEASURE_EVERY_MS && !this.closed) {
      let bytes = 0
      for (const db of [this.events, this.letters, ...this.imports.tables()]) {
        const stats = db.getStats() as Record<string, number>
        bytes += stats.pageSize * (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages)
        this.pageSize = stats.pageSize
      }
      this.measured = { at: now, bytes }
      this.committedBytes = 0
    }
    return this.measured.bytes + this.committedBytes
  }

  // The dead-letter commands' side of the store.

  deadLetterCount(): number {
    return (this.letters.getStats() as { entryCount: number }).entryCount
  }

  /** Dead letters matching the filter, oldest first (newest first with `newestFirst`), at most `limit`. */
  *deadLetters(
    filter: DeadLetterFilter = {},
    options: { newestFirst?: boolean; limit?: number } = {}
  ): Generator<DeadLetter> {
    let found = 0
    for (const { key, value } of this.letters.getRange({ reverse: options.newestFirst })) {
      const letter: DeadLetter = { id: key, ...value }
      if (!matchesFilter(letter, filter)) continue
      yield letter
      if (++found >= (options.limit ?? Infinity)) return
    }
  }

  /**
   * Puts matching dead letters back at the end of their subscription's queue, with no attempts counted, and
   * removes them from the dead letters in the same transaction. Those `keep` gives a reason for stay, with it.
   * Needs the owner role: a running runtime would not see events appear in its queue.
   */
  async requeue(
    filter: DeadLetterFilter,
    keep: (letter: DeadLetter) => string | undefined
  ): Promise<{ requeued: DeadLetter[]; kept: { letter: DeadLetter; why: string }[] }> {
    if (this.options.role !== 'owner') throw new Error('Re-queueing dead letters needs the store to itself.')
    const requeued: DeadLetter[] = []
    const kept: { letter: DeadLetter; why: string }[] = []
    for (const letter of this.deadLetters(filter)) {
      const why = keep(letter)
      if (why === undefined) requeued.push(letter)
      else kept.push({ letter, why })
    }
    await this.inBatches(requeued, (letter) => {
      this.events.put([letter.subscription, this.nextPosition++], { event: letter.event, attempts: 0 })
      this.letters.remove(letter.id as number)
    })
    return { requeued, kept }
  }

  /**
   * Stores what reconciliation settled of dead letters (their reason and `reconciled`), each only if it is still
   * there: one purged meanwhile is not brought back. Returns how many it stored.
   */
  async reconcile(letters: DeadLetter[]): Promise<number> {
    let stored = 0
    // A synchronous transaction, not an asynchronous one: lmdb-js runs an asynchronous transaction's callback on this
    // thread while its writer holds the store's lock, so a synchronous write begun meanwhile in this process (opening
    // a table does one) would wait for that lock forever, and the callback with it.
    for (let i = 0; i < letters.length; i += PRUNE_BATCH) {
      this.root.transactionSync(() => {
        for (const { id, ...letter } of letters.slice(i, i + PRUNE_BATCH)) {
          if (this.letters.get(id as number) === undefined) continue
          this.letters.put(id as number, letter)
          stored++
        }
      })
    }
    return stored
  }

  /** Removes the matching dead letters; returns them. */
  async purge(filter: DeadLetterFilter): Promise<DeadLetter[]> {
    const purged = [...this.deadLetters(filter)]
    await this.inBatches(purged, (letter) => this.letters.remove(letter.id as number))
    return purged
  }

  private async inBatches(letters: DeadLetter[], write: (letter: DeadLetter) => void): Promise<void> {
    for (let i = 0; i < letters.length; i += PRUNE_BATCH) {
      await this.commit(() => letters.slice(i, i + PRUNE_BATCH).forEach(write))
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pruning
    await this.root.close()
    this.release?.()
  }
}
