import { randomBytes } from 'crypto'
import type Redis from 'ioredis'
import os from 'os'
import {
  DeadLetter,
  DeadLetterFilter,
  Enqueued,
  Enqueueing,
  EventQueue,
  megabytes,
  QueuedEvent,
  QueueFullError,
  Settlement,
  ShuttingDownError,
  StoreWriteError
} from '..'
import { followUpId, FollowUpInput } from '../follow-ups'
import { connectQueueRedis, QueueConnection, unusable } from './connection'
import { letterFields, readDeadLetters } from './dead-letters'
import { Entry, GROUP, queuedOf, Subscription } from './entries'
import { followUpKeys, RedisFollowUps } from './follow-ups'
import { QueueKeys } from './keys'
import { PartitionLeases } from './leases'
import { RedisQueueOptions } from './options'
import { PartitionOwnership } from './ownership'
import { partitionOf } from './partitions'
import { PartitionReader } from './reader'
import { enqueueScript, settleScript } from './scripts'

/** How stale the byte count may be when ingest asks for room. */
const MEASURE_EVERY_MS = 100

/**
 * The queue in Redis Streams, shared by several runtime processes. Each subscription's events go to one of
 * `partitions` streams by the contact's email address (see partitions.ts); a process reads only the
 * partitions whose lease it holds (see leases.ts), through one consumer group per stream, so each event is
 * delivered by one process and a contact's events in order. An event leaves its stream (XACK, XDEL) only once
 * it is settled; what a process that dies read but did not settle is claimed (XAUTOCLAIM) by the next holder of
 * its partition before that reads anything newer.
 *
 * `durable` holds as far as Redis keeps its data: events survive the runtime's processes, but a Redis restart
 * keeps only what its persistence wrote (`aof` tells whether the append-only file is on; with appendfsync
 * everysec, up to a second of writes can be lost with the Redis machine).
 *
 * Positions: `enqueue` gives each event its position from one counter in Redis, and the position is the stream
 * entry's ID. `read` hands events out with tickets as their `position`: numbers that grow in the order this
 * process hands events out. A partition taken over from another process brings events older than those read
 * already, and tickets keep them after the reader's cursor, in their order.
 */
export class RedisQueue implements EventQueue {
  readonly durable = true
  /** Other processes enqueue into and deliver from the same queue. */
  readonly shared = true
  readonly resumable = new Map<string, number>()
  readonly location: string
  /** Whether Redis writes an append-only file: without it, a Redis restart keeps at most its last snapshot. */
  readonly aof: boolean
  private readonly redis: Redis
  private readonly leases: PartitionLeases
  private readonly ownership: PartitionOwnership
  private readonly reader: PartitionReader
  private readonly keys: QueueKeys
  private readonly consumer: string
  private readonly subscriptions = new Map<string, Subscription>()
  readonly imports: RedisFollowUps
  private nextTicket = 0
  private used = 0
  private measuredAt = 0
  private measuring = false
  private pendingBytes = 0
  private ticking: Promise<void> = Promise.resolve()
  private timer?: NodeJS.Timeout
  private closed = false

  private constructor(
    private readonly connection: QueueConnection,
    private readonly options: RedisQueueOptions
  ) {
    this.redis = connection.redis
    this.location = `${connection.location} (keys ${options.keyPrefix}:*)`
    this.aof = connection.aof
    this.consumer = options.consumer ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
    this.leases = new PartitionLeases(this.redis, {
      prefix: options.keyPrefix,
      partitions: options.partitions,
      leaseMs: options.leaseMs,
      consumer: this.consumer
    })
    this.keys = new QueueKeys(options.keyPrefix)
    this.ownership = new PartitionOwnership(
      this.redis,
      this.leases,
      this.subscriptions,
      this.keys,
      this.consumer,
      options.claimIdleMs
    )
    this.reader = new PartitionReader(this.redis, this.ownership, this.keys, this.consumer, this.location)
    this.imports = new RedisFollowUps(this.redis, this.keys, this.consumer, (used) => this.measured(used))
  }

  /**
   * Connects, checks that Redis suits the queue, and takes this process's share of the partitions. Rejects with
   * what to change when Redis cannot be reached, is older than 6.2, may evict keys, or keeps the queue in another
   * number of partitions.
   */
  static async open(options: RedisQueueOptions): Promise<RedisQueue> {
    const connection = await connectQueueRedis(options.connection)
    const { redis, location } = connection
    try {
      const partitionsKey = `${options.keyPrefix}:partitions`
      await redis.set(partitionsKey, options.partitions, 'NX')
      const partitions = Number(await redis.get(partitionsKey))
      if (partitions !== options.partitions) {
        throw new Error(
          `it keeps the queue ${options.keyPrefix} in ${partitions} partitions per subscription, and the config ` +
            `says ${options.partitions}: a contact's events would be split across partitions and could go out of ` +
            `order. Use ${partitions}, or another keyPrefix once this queue is empty.`
        )
      }
      const queue = new RedisQueue(connection, options)
      await queue.count()
      queue.tick()
      await queue.ticking
      queue.timer = setInterval(() => queue.tick(), Math.max(1, Math.floor(options.leaseMs / 3)))
      // The timer only renews leases: it must not keep a process alive that has nothing else to do.
      queue.timer.unref()
      return queue
    } catch (error) {
      connection.abandon()
      throw unusable(location, (error as Error).message)
    }
  }

  /** What an earlier run left, per subscription, and the bytes in use. */
  private async count(): Promise<void> {
    for (const subscription of await this.redis.smembers(this.keys.named('subscriptions'))) {
      const total = await this.queuedCount([subscription])
      if (total > 0) this.resumable.set(subscription, total)
    }
    this.used = Number((await this.redis.get(this.keys.named('bytes'))) ?? 0)
    this.measuredAt = Date.now()
  }

  /**
   * Events of these subscriptions in the queue and not settled yet, over every process sharing it: what a producer
   * that can wait (replay) measures itself against, since what one process holds says little of a shared queue.
   */
  async queuedCount(subscriptions: string[]): Promise<number> {
    const lengths = await Promise.all(
      subscriptions.flatMap((subscription) =>
        Array.from({ length: this.options.partitions }, (_, p) => this.redis.xlen(this.keys.stream(subscription, p)))
      )
    )
    return lengths.reduce((sum, length) => sum + length, 0)
  }

  async enqueue(items: Enqueueing[], options: { dedup: boolean }): Promise<Enqueued[]> {
    if (this.closed) throw new ShuttingDownError()
    const dedup = options.dedup && this.options.dedupWindowMs > 0
    const keys = [this.keys.named('positions'), this.keys.named('bytes'), this.keys.named('subscriptions')]
    const indexes = new Map<string, number>()
    const indexOf = (key: string) => {
      let index = indexes.get(key)
      if (index === undefined) {
        index = keys.push(key)
        indexes.set(key, index)
      }
      return index
    }
    const args: (string | number)[] = [this.options.maxBytes, this.options.dedupWindowMs, GROUP, items.length]
    let bytes = 0
    for (const { event, subscriptions } of items) {
      const json = JSON.stringify(event)
      const partition = partitionOf(event, this.options.partitions)
      const id = dedup ? event.messageId : undefined
      args.push(id ? indexOf(this.keys.named(`seen:${id}`)) : 0, json, subscriptions.length)
      for (const subscription of subscriptions)
        args.push(indexOf(this.keys.stream(subscription, partition)), subscription)
      bytes += Buffer.byteLength(json) * subscriptions.length
    }
    this.pendingBytes += bytes
    let reply: number[]
    try {
      reply = (await enqueueScript.run(this.redis, keys, args)) as number[]
    } catch (error) {
      throw this.writeError('store the events', error)
    } finally {
      this.pendingBytes -= bytes
    }
    const [stored, used, ...positions] = reply
    this.measured(used)
    if (stored === 0) {
      throw new QueueFullError(
        `The queue in Redis is full: ${megabytes(used)} of queue.maxBytes ${megabytes(this.options.maxBytes)} ` +
          `(queued events of every runtime sharing it, and the dead letters in ${this.keys.named('dead-letters')}).`
      )
    }
    return positions.map((position): Enqueued =>
      position === 0 ? { duplicate: true } : { duplicate: false, position }
    )
  }

  /** Redis refuses writes once it reaches its maxmemory: that is a full queue too, which a client retries. */
  private writeError(what: string, error: unknown): Error {
    const message = (error as Error)?.message ?? String(error)
    if (message.startsWith('OOM')) {
      return new QueueFullError(
        `Redis at ${this.location} is out of memory (its maxmemory) and takes no more events: ${message}`
      )
    }
    return new StoreWriteError(what, error)
  }

  /**
   * Up to `limit` unsettled events of the subscription after ticket `after`: first those handed out already, then
   * new ones from the partitions this process holds, each partition's in order.
   */
  async read(subscription: string, after: number, limit: number): Promise<QueuedEvent[]> {
    if (this.closed) return []
    const state = this.subscription(subscription)
    const page = state.reading.then(() => this.readInTurn(subscription, state, after, limit))
    state.reading = page.catch(() => undefined)
    return page
  }

  private subscription(name: string): Subscription {
    let state = this.subscriptions.get(name)
    if (!state) {
      state = {
        handed: new Map(),
        handedIds: new Set(),
        buffered: new Map(),
        cursors: new Map(),
        reading: Promise.resolve()
      }
      this.subscriptions.set(name, state)
    }
    return state
  }

  private async readInTurn(name: string, state: Subscription, after: number, limit: number): Promise<QueuedEvent[]> {
    const page: QueuedEvent[] = []
    for (const entry of state.handed.values()) {
      if (page.length >= limit) return page
      if (entry.ticket > after) page.push(queuedOf(entry))
    }
    const missing = limit - page.length
    if (missing <= 0 || this.closed) return page
    await this.reader.fill(name, state, missing)
    for (const entry of this.reader.take(state, missing)) {
      entry.ticket = this.nextTicket++
      state.handed.set(entry.ticket, entry)
      state.handedIds.add(entry.id)
      page.push(queuedOf(entry))
    }
    return page
  }

  async settle({ subscription, delivered, deadLettered, retried, followUps }: Settlement): Promise<void> {
    if (this.closed) throw new StoreWriteError('record the outcome', new Error('the queue is closed'))
    const state = this.subscriptions.get(subscription)
    const streams: string[] = []
    const streamIndex = (stream: string) => {
      const index = streams.indexOf(stream)
      return 6 + (index >= 0 ? index : streams.push(stream) - 1)
    }
    const at = new Date().toISOString()
    const args: (string | number)[] = []
    const settled: Entry[] = []
    const counted: { entry: Entry; attempts: number }[] = []
    for (const ticket of delivered) {
      const entry = state?.handed.get(ticket)
      if (!entry) continue
      args.push('delivered', streamIndex(entry.stream), entry.id)
      settled.push(entry)
    }
    for (const { position, letter } of deadLettered) {
      const entry = state?.handed.get(position)
      if (!entry) continue
      const fields = letterFields(letter, at)
      args.push('dead', streamIndex(entry.stream), entry.id, fields.length, ...fields.flat())
      settled.push(entry)
    }
    for (const { position, attempts } of retried) {
      const entry = state?.handed.get(position)
      if (!entry) continue
      args.push('retried', streamIndex(entry.stream), entry.id, attempts)
      counted.push({ entry, attempts })
    }
    if (!state || settled.length + counted.length === 0) return
    const follows = this.followArgs(subscription, followUps ?? [], new Set(settled.map((entry) => entry.ticket)), at)
    for (const { rows, args: follow } of follows) args.push('follow', streamIndex(rows), ...follow)
    let used: number
    try {
      used = Number(
        await settleScript.run(
          this.redis,
          [
            this.keys.named('bytes'),
            this.keys.attempts(subscription),
            this.keys.named('dead-letters'),
            this.keys.named('dead-letter-ids'),
            followUpKeys(this.keys).followUps,
            ...streams
          ],
          [GROUP, settled.length + counted.length + follows.length, ...args]
        )
      )
    } catch (error) {
      throw this.writeError('record the outcome', error)
    }
    this.measured(used)
    for (const entry of settled) {
      state.handed.delete(entry.ticket)
      state.handedIds.delete(entry.id)
    }
    for (const { entry, attempts } of counted) entry.attempts = attempts
  }

  /**
   * The settle script's 'follow' operations: per import, its list of rows and what follows that list's index. Only
   * rows of entries this settlement removes: an entry no longer this process's is another's to deliver and follow.
   */
  private followArgs(
    subscription: string,
    followUps: FollowUpInput[],
    settledTickets: Set<number>,
    at: string
  ): { rows: string; args: (string | number)[] }[] {
    const follows: { rows: string; args: (string | number)[] }[] = []
    for (const { listId, importFileId, importType, rows } of followUps) {
      const kept = rows.filter((row) => settledTickets.has(row.position))
      if (kept.length === 0) continue
      const key = { subscription, listId, importFileId }
      const id = followUpId(key)
      const followUp = { ...key, ...(importType ? { importType } : {}), startedAt: at, rows: kept.length, polls: 0 }
      follows.push({
        rows: followUpKeys(this.keys).rows(id),
        args: [
          id,
          JSON.stringify(followUp),
          kept.length,
          ...kept.map(({ emailAddress, event, attempts }) => JSON.stringify({ emailAddress, event, attempts }))
        ]
      })
    }
    return follows
  }

  /** ioredis reconnects by itself: until it has, every write fails, and ingest answers 503. */
  unavailable(): string | undefined {
    const status = this.redis.status
    return status === 'ready' ? undefined : `Redis at ${this.connection.location} is not connected (${status})`
  }

  hasRoom(bytes: number): boolean {
    return this.bytes() + this.pendingBytes + bytes <= this.options.maxBytes
  }

  /** Bytes of queued events and dead letters over every process, as last measured (at most 100 ms ago, roughly). */
  bytes(): number {
    if (!this.closed && !this.measuring && Date.now() - this.measuredAt >= MEASURE_EVERY_MS) {
      this.measuring = true
      this.redis
        .get(this.keys.named('bytes'))
        .then(
          (value) => this.measured(Number(value ?? 0)),
          () => undefined
        )
        .finally(() => (this.measuring = false))
    }
    return this.used
  }

  private measured(used: number): void {
    this.used = used
    this.measuredAt = Date.now()
  }

  /**
   * Keeps this process's share of the partitions: renews its leases, takes free partitions up to its share, gives
   * up what is beyond it, and claims what other consumers left in the partitions it took. A tick that fails (Redis
   * away) changes nothing; leases it could not renew stop being trusted, and so read, when they lapse.
   */
  private tick(): void {
    this.ticking = this.ticking.then(async () => {
      if (this.closed) return
      try {
        await this.ownership.balance()
        await this.ownership.claim()
      } catch {
        // The next tick tries again.
      }
    })
  }

  /** The partitions this process reads now. */
  partitions(): number[] {
    return this.ownership.readable().sort((a, b) => a - b)
  }

  // The dead-letter commands' side of the queue.

  async deadLetterCount(): Promise<number> {
    return this.redis.xlen(this.keys.named('dead-letters'))
  }

  /** Dead letters matching the filter, oldest first (newest first with `newestFirst`), at most `limit`. */
  deadLetters(
    filter: DeadLetterFilter = {},
    options: { newestFirst?: boolean; limit?: number } = {}
  ): AsyncGenerator<DeadLetter> {
    return readDeadLetters(this.redis, this.keys.named('dead-letters'), filter, options)
  }

  /**
   * Gives this process's partitions to the others at once (see `handOver`) and leaves. What fails here lapses by
   * itself: the leases after leaseMs, the pending entries after claimIdleMs.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    await this.ticking
    try {
      await this.ownership.leave()
    } catch {
      // Lapses by itself, as said above.
    }
    if (this.connection.owned) await this.redis.quit().catch(() => this.redis.disconnect())
  }
}
