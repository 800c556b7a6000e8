import type { SegmentEvent } from '@segment/actions-core'
import { randomBytes } from 'crypto'
import type Redis from 'ioredis'
import os from 'os'
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
import { connectQueueRedis, QueueConnection, unusable } from './connection'
import { PartitionLeases } from './leases'
import { partitionOf } from './partitions'
import { claimScript, enqueueScript, handOverScript, readScript, settleScript } from './scripts'

export interface RedisQueueOptions {
  /**
   * A redis:// or rediss:// URL, or an ioredis client the caller set up (Sentinel, TLS files); a client given
   * stays the caller's to close.
   */
  connection: string | Redis
  /**
   * Every key of the queue starts with it, so that several queues can share a Redis. The braces of the default
   * are a hash tag: on a Redis Cluster they would keep all keys in the one slot a script's keys must share.
   */
  keyPrefix: string
  /** Streams per subscription. Fixed for the life of the queue's data: every process must use the same. */
  partitions: number
  /** Bytes of queued events and dead letters, over every process sharing the queue, before ingest answers 503. */
  maxBytes: number
  /** An event whose messageId was enqueued this recently, by any process, is not queued again (0: no dedup). */
  dedupWindowMs: number
  /** A process that dies loses its partitions this long after it last renewed them. */
  leaseMs: number
  /**
   * Events another process read but did not settle are taken over once idle this long. Above the longest a
   * delivery takes, so that a process that only stalled finishes its delivery before another repeats it.
   */
  claimIdleMs: number
  /** This process's name in the consumer groups; it must be unique among the processes. */
  consumer?: string
}

export const REDIS_QUEUE_DEFAULTS = {
  keyPrefix: '{listrak-actions}',
  partitions: 16,
  leaseMs: 10_000,
  claimIdleMs: 30_000,
  /** How often the pipeline reads a shared queue for events other processes enqueued. */
  pollMs: 200
}

const GROUP = 'delivery'
/** How stale the byte count may be when ingest asks for room. */
const MEASURE_EVERY_MS = 100
/** Reads from Redis for one `read`, at most: each asks every partition for its share of what is missing. */
const READ_ROUNDS = 4
/** Pending entries one claim takes over per stream; the rest wait for the next renewal. */
const CLAIM_BUDGET = 10_000
/** What a clean stop marks its pending entries idle for: far above any claimIdleMs, so they are claimed at once. */
const HANDED_OVER_IDLE_MS = 7 * 24 * 60 * 60 * 1000
const DEAD_LETTER_PAGE = 500

/** An event as this process holds it: where it is in Redis, and its place in this process's reading order. */
interface Entry {
  partition: number
  stream: string
  /** The stream entry's ID, `<position>-0`. */
  id: string
  /** The event's position, from the one counter all processes share. */
  position: number
  event: SegmentEvent
  attempts: number
  ticket: number
}

/** What this process holds of one subscription. */
interface Subscription {
  /** Handed out by `read` and not settled yet, by ticket, in ticket order. */
  handed: Map<number, Entry>
  /** The IDs of the handed out entries, so a re-read of this consumer's pending entries skips them. */
  handedIds: Set<string>
  /** Read from Redis (pending for this consumer) but not handed out yet, per partition, in order. */
  buffered: Map<number, Entry[]>
  /**
   * Per partition, where its next read starts: after an ID while this consumer's own pending entries (those it
   * claimed) are read again, '>' for entries no consumer has had. A partition starts at '0' when taken.
   */
  cursors: Map<number, string>
  /** Reads of a subscription go one at a time, so an entry is never handed out twice. */
  reading: Promise<unknown>
}

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
  private readonly consumer: string
  private readonly subscriptions = new Map<string, Subscription>()
  /** Partitions whose streams no other consumer has pending entries in any more: they may be read. */
  private readonly claimed = new Set<number>()
  /** Partitions beyond this process's share: not read, and given up once nothing of theirs is handed out. */
  private readonly releasing = new Set<number>()
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
    for (const subscription of await this.redis.smembers(this.key('subscriptions'))) {
      const total = await this.queuedCount([subscription])
      if (total > 0) this.resumable.set(subscription, total)
    }
    this.used = Number((await this.redis.get(this.key('bytes'))) ?? 0)
    this.measuredAt = Date.now()
  }

  /**
   * Events of these subscriptions in the queue and not settled yet, over every process sharing it: what a producer
   * that can wait (replay) measures itself against, since what one process holds says little of a shared queue.
   */
  async queuedCount(subscriptions: string[]): Promise<number> {
    const lengths = await Promise.all(
      subscriptions.flatMap((subscription) =>
        Array.from({ length: this.options.partitions }, (_, p) => this.redis.xlen(this.streamKey(subscription, p)))
      )
    )
    return lengths.reduce((sum, length) => sum + length, 0)
  }

  private key(name: string): string {
    return `${this.options.keyPrefix}:${name}`
  }

  /** The partition comes last: a subscription's name may hold colons, a partition number cannot. */
  private streamKey(subscription: string, partition: number): string {
    return `${this.options.keyPrefix}:events:${subscription}:${partition}`
  }

  private attemptsKey(subscription: string): string {
    return `${this.options.keyPrefix}:attempts:${subscription}`
  }

  async enqueue(items: Enqueueing[], options: { dedup: boolean }): Promise<Enqueued[]> {
    if (this.closed) throw new ShuttingDownError()
    const dedup = options.dedup && this.options.dedupWindowMs > 0
    const keys = [this.key('positions'), this.key('bytes'), this.key('subscriptions')]
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
      args.push(id ? indexOf(this.key(`seen:${id}`)) : 0, json, subscriptions.length)
      for (const subscription of subscriptions)
        args.push(indexOf(this.streamKey(subscription, partition)), subscription)
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
          `(queued events of every runtime sharing it, and the dead letters in ${this.key('dead-letters')}).`
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
    await this.fill(name, state, missing)
    for (const entry of this.takeBuffered(state, missing)) {
      entry.ticket = this.nextTicket++
      state.handed.set(entry.ticket, entry)
      state.handedIds.add(entry.id)
      page.push(queuedOf(entry))
    }
    return page
  }

  /** Partitions that may be read now: leased and trusted, taken over completely, and not being given up. */
  private readable(): number[] {
    return this.leases.held().filter((p) => this.claimed.has(p) && !this.releasing.has(p))
  }

  /** Reads from Redis until `wanted` entries are buffered or the partitions have no more. */
  private async fill(name: string, state: Subscription, wanted: number): Promise<void> {
    const buffered = () => this.readable().reduce((sum, p) => sum + (state.buffered.get(p)?.length ?? 0), 0)
    for (let round = 0; round < READ_ROUNDS; round++) {
      const partitions = this.readable()
      const missing = wanted - buffered()
      if (partitions.length === 0 || missing <= 0) return
      const count = Math.ceil(missing / partitions.length)
      const cursors = partitions.map((p) => state.cursors.get(p) ?? '0')
      let reply: string[][]
      try {
        reply = (await readScript.run(
          this.redis,
          [this.attemptsKey(name), ...partitions.map((p) => this.streamKey(name, p))],
          [GROUP, this.consumer, ...partitions.flatMap((_, i) => [cursors[i], count])]
        )) as string[][]
      } catch (error) {
        throw new Error(`Cannot read queued events from Redis at ${this.location}: ${(error as Error).message}`)
      }
      let more = false
      const stillReadable = new Set(this.readable())
      partitions.forEach((partition, i) => {
        // Not readable any more (lost, given up, or its lease awaiting renewal): what was read, and what was
        // buffered, stays pending for this consumer. The next holder claims it; should this process read the
        // partition again, it starts over from its own pending entries, or those would stay pending with nobody
        // to deliver them.
        if (!stillReadable.has(partition)) {
          state.cursors.delete(partition)
          state.buffered.delete(partition)
          return
        }
        const entries = entriesOf(reply[i], partition, this.streamKey(name, partition))
        if (cursors[i] === '>') {
          if (entries.length >= count) more = true
        } else {
          more = true
          state.cursors.set(partition, entries.length === 0 ? '>' : entries[entries.length - 1].id)
        }
        const fresh = entries.filter((entry) => !state.handedIds.has(entry.id))
        if (fresh.length > 0) state.buffered.set(partition, [...(state.buffered.get(partition) ?? []), ...fresh])
      })
      if (!more) return
    }
  }

  /** Takes up to `count` buffered entries of the readable partitions, the lowest positions first. */
  private takeBuffered(state: Subscription, count: number): Entry[] {
    const queues = this.readable()
      .map((p) => state.buffered.get(p))
      .filter((queue): queue is Entry[] => queue !== undefined && queue.length > 0)
    const taken: Entry[] = []
    while (taken.length < count) {
      let next: Entry[] | undefined
      for (const queue of queues) if (queue.length > 0 && (!next || queue[0].position < next[0].position)) next = queue
      if (!next) break
      taken.push(next.shift() as Entry)
    }
    return taken
  }

  async settle({ subscription, delivered, deadLettered, retried }: Settlement): Promise<void> {
    if (this.closed) throw new StoreWriteError('record the outcome', new Error('the queue is closed'))
    const state = this.subscriptions.get(subscription)
    const streams: string[] = []
    const streamIndex = (stream: string) => {
      const index = streams.indexOf(stream)
      return 5 + (index >= 0 ? index : streams.push(stream) - 1)
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
      const fields = [
        ['subscription', letter.subscription],
        ['status', String(letter.status)],
        ['reason', letter.reason],
        ['attempts', String(letter.attempts)],
        ...(letter.listId === undefined ? [] : [['listId', String(letter.listId)]]),
        ['at', at],
        ...(letter.event.messageId ? [['messageId', letter.event.messageId]] : []),
        ['event', JSON.stringify(letter.event)]
      ]
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
    let used: number
    try {
      used = Number(
        await settleScript.run(
          this.redis,
          [
            this.key('bytes'),
            this.attemptsKey(subscription),
            this.key('dead-letters'),
            this.key('dead-letter-ids'),
            ...streams
          ],
          [GROUP, settled.length + counted.length, ...args]
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
        .get(this.key('bytes'))
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

  /** The partitions this process reads now. */
  partitions(): number[] {
    return this.readable().sort((a, b) => a - b)
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
        await this.balance()
        await this.claim()
      } catch {
        // The next tick tries again.
      }
    })
  }

  private async balance(): Promise<void> {
    const live = await this.leases.heartbeat()
    for (const partition of await this.leases.renew()) this.forget(partition)
    const share = this.leases.share(live)
    const active = () => this.leases.leased().filter((p) => !this.releasing.has(p))
    // Partitions being given up come back first: they need no claim.
    for (const partition of [...this.releasing].slice(0, Math.max(0, share - active().length))) {
      this.releasing.delete(partition)
    }
    const surplus = active().length - share
    if (surplus < 0) {
      for (const partition of await this.leases.acquire(-surplus)) this.forget(partition)
    } else if (surplus > 0) {
      const quietest = active().sort((a, b) => this.handedIn(a) - this.handedIn(b))
      for (const partition of quietest.slice(0, surplus)) this.giveUp(partition)
    }
    for (const partition of this.releasing) if (this.handedIn(partition) === 0) await this.handOver(partition)
  }

  /** Claims what other consumers left pending in the partitions taken, before any of them is read. */
  private async claim(): Promise<void> {
    const unclaimed = this.leases.held().filter((p) => !this.claimed.has(p))
    if (unclaimed.length === 0) return
    const subscriptions = await this.redis.smembers(this.key('subscriptions'))
    for (const partition of unclaimed) {
      const done = await claimScript.run(
        this.redis,
        subscriptions.map((subscription) => this.streamKey(subscription, partition)),
        [GROUP, this.consumer, this.options.claimIdleMs, CLAIM_BUDGET]
      )
      if (done === 1 && this.leases.leased().includes(partition)) this.claimed.add(partition)
    }
  }

  private handedIn(partition: number): number {
    let count = 0
    for (const state of this.subscriptions.values()) {
      for (const entry of state.handed.values()) if (entry.partition === partition) count++
    }
    return count
  }

  /**
   * Stops reading a partition; what it buffered stays pending for this consumer, handed over with the lease. Should
   * the partition come back before it is handed over, its reading starts over from this consumer's pending entries.
   */
  private giveUp(partition: number): void {
    this.releasing.add(partition)
    for (const state of this.subscriptions.values()) {
      state.buffered.delete(partition)
      state.cursors.delete(partition)
    }
  }

  /**
   * Gives a partition to whoever takes it next: its pending entries are marked long idle, so they are claimed at
   * once, except those still handed out (a stop before their delivery ended), which wait out claimIdleMs as if
   * this process had died, so that a delivery still under way is not repeated at once.
   */
  private async handOver(partition: number): Promise<void> {
    const subscriptions = await this.redis.smembers(this.key('subscriptions'))
    await handOverScript.run(
      this.redis,
      subscriptions.map((subscription) => this.streamKey(subscription, partition)),
      [GROUP, this.consumer, HANDED_OVER_IDLE_MS]
    )
    for (const [name, state] of this.subscriptions) {
      const ids = [...state.handed.values()].filter((entry) => entry.partition === partition).map((entry) => entry.id)
      if (ids.length > 0) {
        await this.redis.call('XCLAIM', [this.streamKey(name, partition), GROUP, this.consumer, 0, ...ids, 'JUSTID'])
      }
    }
    await this.leases.release(partition)
    this.forget(partition)
  }

  /** Drops what this process knew of a partition it no longer holds, or has just taken. */
  private forget(partition: number): void {
    this.claimed.delete(partition)
    this.releasing.delete(partition)
    for (const state of this.subscriptions.values()) {
      state.buffered.delete(partition)
      state.cursors.delete(partition)
    }
  }

  // The dead-letter commands' side of the queue.

  async deadLetterCount(): Promise<number> {
    return this.redis.xlen(this.key('dead-letters'))
  }

  /** Dead letters matching the filter, oldest first (newest first with `newestFirst`), at most `limit`. */
  deadLetters(
    filter: DeadLetterFilter = {},
    options: { newestFirst?: boolean; limit?: number } = {}
  ): AsyncGenerator<DeadLetter> {
    return readDeadLetters(this.redis, this.key('dead-letters'), filter, options)
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
      // Renewed first: a partition whose lease lapsed may be another's now, and its entries are not ours to mark.
      for (const partition of await this.leases.renew()) this.forget(partition)
      for (const partition of this.leases.leased()) await this.handOver(partition)
      await this.leases.leave()
    } catch {
      // Lapses by itself, as said above.
    }
    if (this.connection.owned) await this.redis.quit().catch(() => this.redis.disconnect())
  }
}

/**
 * The dead letters of the queue under `keyPrefix`, for the `dead-letters` commands: they only read, so they connect
 * without joining the runtimes (no leases, no consumer), and can run beside them.
 */
export async function openRedisDeadLetters(
  connection: string,
  keyPrefix: string
): Promise<{
  location: string
  deadLetters(
    filter?: DeadLetterFilter,
    options?: { newestFirst?: boolean; limit?: number }
  ): AsyncGenerator<DeadLetter>
  close(): Promise<void>
}> {
  const { redis, location } = await connectQueueRedis(connection)
  return {
    location: `${location} (keys ${keyPrefix}:*)`,
    deadLetters: (filter = {}, options = {}) => readDeadLetters(redis, `${keyPrefix}:dead-letters`, filter, options),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}

async function* readDeadLetters(
  redis: Redis,
  key: string,
  filter: DeadLetterFilter,
  options: { newestFirst?: boolean; limit?: number }
): AsyncGenerator<DeadLetter> {
  let found = 0
  let from = options.newestFirst ? '+' : '-'
  for (;;) {
    const page = options.newestFirst
      ? await redis.xrevrange(key, from, '-', 'COUNT', DEAD_LETTER_PAGE)
      : await redis.xrange(key, from, '+', 'COUNT', DEAD_LETTER_PAGE)
    for (const [id, fields] of page) {
      const letter = letterOf(id, fields)
      if (!matchesFilter(letter, filter)) continue
      yield letter
      if (++found >= (options.limit ?? Infinity)) return
    }
    if (page.length < DEAD_LETTER_PAGE) return
    from = `(${page[page.length - 1][0]}`
  }
}

/** Entries from the read script's flat reply: ID, event, attempts. */
function entriesOf(reply: string[], partition: number, stream: string): Entry[] {
  const entries: Entry[] = []
  for (let i = 0; i < reply.length; i += 3) {
    const id = reply[i]
    entries.push({
      partition,
      stream,
      id,
      position: Number(id.slice(0, id.indexOf('-'))),
      event: JSON.parse(reply[i + 1]) as SegmentEvent,
      attempts: Number(reply[i + 2]),
      ticket: -1
    })
  }
  return entries
}

const queuedOf = (entry: Entry): QueuedEvent => ({
  position: entry.ticket,
  event: entry.event,
  attempts: entry.attempts
})

function letterOf(id: string, flat: string[]): DeadLetter {
  const fields = new Map<string, string>()
  for (let i = 0; i < flat.length; i += 2) fields.set(flat[i], flat[i + 1])
  const listId = fields.get('listId')
  const messageId = fields.get('messageId')
  return {
    id: Number(id.slice(0, id.indexOf('-'))),
    at: fields.get('at') ?? '',
    ...(messageId === undefined ? {} : { messageId }),
    subscription: fields.get('subscription') ?? '',
    status: Number(fields.get('status')),
    reason: fields.get('reason') ?? '',
    attempts: Number(fields.get('attempts')),
    ...(listId === undefined ? {} : { listId: Number(listId) }),
    event: JSON.parse(fields.get('event') ?? 'null') as SegmentEvent
  }
}
