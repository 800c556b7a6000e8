import type { SegmentEvent } from '@segment/actions-core'
import Redis from 'ioredis'
import { QueuedEvent, QueueFullError } from '../../runtime/queue'
import { contactOf as partitionKeyOf, partitionOf } from '../../runtime/queue/redis/partitions'
import { RedisQueue } from '../../runtime/queue/redis/queue'
import { RedisQueueOptions } from '../../runtime/queue/redis/options'
import { startRedisServer, RedisServer } from '../redis-server'
import { waitFor } from '../wait'

/**
 * The queue on Redis Streams, against a real redis-server: what one process stores, reads and settles; what
 * several share (dedup, the byte bound, partitions); and what happens when one of them dies. Two queue instances
 * stand for two runtime processes: each has its own connection and consumer name.
 */

const LEASE_MS = 300
const CLAIM_IDLE_MS = 300

let server: RedisServer
let redis: Redis

const opened: RedisQueue[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((queue) => queue.close()))
})

let queues = 0
/** Each test has its own keys, so tests never see each other's events. */
const newPrefix = () => `{test-${++queues}}`

async function open(options: Partial<RedisQueueOptions> & { keyPrefix: string }): Promise<RedisQueue> {
  const queue = await RedisQueue.open({
    connection: server.url,
    partitions: 4,
    maxBytes: 2 ** 30,
    dedupWindowMs: 60_000,
    leaseMs: LEASE_MS,
    claimIdleMs: CLAIM_IDLE_MS,
    ...options
  })
  opened.push(queue)
  return queue
}

const event = (n: number, contact = `c${n}`) =>
  ({
    type: 'track',
    event: 'Audience Entered',
    messageId: `m${n}`,
    userId: `u${n}`,
    context: { traits: { email: `${contact}@example.com` } }
  }) as SegmentEvent

const ids = (page: QueuedEvent[]) => page.map((queued) => queued.event.messageId)
const contactOf = (event: SegmentEvent) => (event.context?.traits as { email: string }).email
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Reads until `count` events came, or the time a handover takes has passed: events a stopped process still had
 * handed out wait out the claim idle time, while the other partitions are read at once.
 */
async function readAll(queue: RedisQueue, subscription: string, count: number): Promise<QueuedEvent[]> {
  const deadline = Date.now() + LEASE_MS + CLAIM_IDLE_MS + 1000
  const events: QueuedEvent[] = []
  while (events.length < count && Date.now() < deadline) {
    events.push(...(await queue.read(subscription, events[events.length - 1]?.position ?? -1, count)))
    await sleep(5)
  }
  return events
}

async function enqueueEach(queue: RedisQueue, events: SegmentEvent[], subscriptions = ['a']) {
  return queue.enqueue(
    events.map((event) => ({ event, subscriptions })),
    { dedup: true }
  )
}

const delivered = (subscription: string, page: QueuedEvent[]) => ({
  subscription,
  delivered: page.map((queued) => queued.position),
  deadLettered: [],
  retried: []
})

async function streamLengths(prefix: string, subscription: string, partitions = 4): Promise<number> {
  const lengths = await Promise.all(
    Array.from({ length: partitions }, (_, p) => redis.xlen(`${prefix}:events:${subscription}:${p}`))
  )
  return lengths.reduce((sum, length) => sum + length, 0)
}

interface Seen {
  by: string
  id: string
  contact: string
  attempts: number
}

/**
 * Reads and settles as the pipeline's lane does (a page at a time, after its cursor), recording what it saw, until
 * `done()`, for 3 s at most; `deliveryMs` stands for the time a delivery takes.
 */
async function consume(queue: RedisQueue, by: string, seen: Seen[], done: () => boolean, deliveryMs = 0) {
  const deadline = Date.now() + 3000
  let cursor = -1
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${by} gave up: ${seen.length} events seen so far`)
    const page = await queue.read('a', cursor, 5)
    if (page.length === 0) {
      await sleep(5)
      continue
    }
    cursor = page[page.length - 1].position
    for (const queued of page) {
      seen.push({
        by,
        id: queued.event.messageId as string,
        contact: contactOf(queued.event),
        attempts: queued.attempts
      })
    }
    if (deliveryMs > 0) await sleep(deliveryMs)
    await queue.settle(delivered('a', page))
  }
}

/** Each contact's events, in the order they were seen, are in the order they were enqueued. */
function expectOrderPerContact(seen: Seen[], events: SegmentEvent[]): void {
  const order = new Map(events.map((event, i) => [event.messageId as string, i]))
  const byContact = new Map<string, number[]>()
  for (const { id, contact } of seen)
    byContact.set(contact, [...(byContact.get(contact) ?? []), order.get(id) as number])
  for (const [contact, positions] of byContact) {
    expect([contact, positions]).toEqual([contact, [...positions].sort((a, b) => a - b)])
  }
}

/** Samples which partitions each queue reads, every few ms, and keeps any partition two read at once. */
function watchPartitions(queues: RedisQueue[]) {
  const overlaps: number[] = []
  const timer = setInterval(() => {
    const holders = new Map<number, number>()
    for (const queue of queues) for (const p of queue.partitions()) holders.set(p, (holders.get(p) ?? 0) + 1)
    for (const [p, count] of holders) if (count > 1) overlaps.push(p)
  }, 2)
  return { overlaps, stop: () => clearInterval(timer) }
}

describe('the queue on Redis Streams', () => {
  // Started here, not for the whole file: the partition rules below need no Redis, and must not fail without one.
  beforeAll(async () => {
    server = await startRedisServer()
    redis = new Redis(server.url)
  })
  afterAll(async () => {
    redis?.disconnect()
    await server?.stop()
  })

  it('stores, reads and settles events in order, per subscription', async () => {
    const prefix = newPrefix()
    const queue = await open({ keyPrefix: prefix })
    expect(queue.partitions()).toEqual([0, 1, 2, 3])
    const events = [1, 2, 3, 4, 5, 6].map((n) => event(n, `c${n % 3}`))
    const enqueued = await enqueueEach(queue, events, ['a', 'b'])
    expect(enqueued).toEqual([1, 2, 3, 4, 5, 6].map((position) => ({ duplicate: false, position })))
    expect(queue.bytes()).toBe(2 * events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0))

    const page = await queue.read('a', -1, 100)
    expect(ids(page)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6'])
    expect(page.map((queued) => queued.attempts)).toEqual([0, 0, 0, 0, 0, 0])
    expect(page.map((queued) => queued.event)).toEqual(events)
    // After the cursor nothing is left; from the start, what is handed out and unsettled comes again.
    expect(await queue.read('a', page[5].position, 100)).toEqual([])
    expect(ids(await queue.read('a', -1, 2))).toEqual(['m1', 'm2'])

    await queue.settle(delivered('a', page))
    expect(await queue.read('a', -1, 100)).toEqual([])
    expect(await streamLengths(prefix, 'a')).toBe(0)
    expect(await streamLengths(prefix, 'b')).toBe(6)
    expect(ids(await queue.read('b', -1, 100))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6'])
    expect(queue.bytes()).toBe(events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0))
  })

  it('deduplicates by messageId across processes, within the window kept in Redis', async () => {
    const prefix = newPrefix()
    const first = await open({ keyPrefix: prefix, dedupWindowMs: 300 })
    const second = await open({ keyPrefix: prefix, dedupWindowMs: 300 })
    expect(await enqueueEach(first, [event(1), event(1), event(2)])).toEqual([
      { duplicate: false, position: 1 },
      { duplicate: true },
      { duplicate: false, position: 2 }
    ])
    expect(await enqueueEach(second, [event(1)])).toEqual([{ duplicate: true }])
    expect(await second.enqueue([{ event: event(1), subscriptions: ['a'] }], { dedup: false })).toEqual([
      { duplicate: false, position: 3 }
    ])
    expect(await redis.pttl(`${prefix}:seen:m1`)).toBeGreaterThan(0)
    await sleep(350)
    expect(await enqueueEach(second, [event(1)])).toEqual([{ duplicate: false, position: 4 }])
  })

  it('keeps dead letters in Redis, and a retried event keeps its attempts for the next reader', async () => {
    const prefix = newPrefix()
    const queue = await open({ keyPrefix: prefix })
    await enqueueEach(queue, [event(1), event(2), event(3)])
    const [one, two, three] = await queue.read('a', -1, 10)
    await queue.settle({
      subscription: 'a',
      delivered: [one.position],
      deadLettered: [
        {
          position: two.position,
          letter: { subscription: 'a', status: 400, reason: 'bad field', attempts: 1, listId: 12345, event: event(2) }
        }
      ],
      retried: [{ ...three, attempts: 2 }]
    })
    await queue.close()

    const next = await open({ keyPrefix: prefix })
    expect(Object.fromEntries(next.resumable)).toEqual({ a: 1 })
    expect(await readAll(next, 'a', 1)).toEqual([{ position: expect.any(Number), event: event(3), attempts: 2 }])
    expect(await next.deadLetterCount()).toBe(1)
    const letters = []
    for await (const letter of next.deadLetters()) letters.push(letter)
    expect(letters).toEqual([
      {
        id: 1,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        messageId: 'm2',
        subscription: 'a',
        status: 400,
        reason: 'bad field',
        attempts: 1,
        listId: 12345,
        event: event(2)
      }
    ])
    const filtered = []
    for await (const letter of next.deadLetters({ reason: 'timeout' })) filtered.push(letter)
    expect(filtered).toEqual([])
  })

  it('bounds the bytes over every process: enqueue rejects with QUEUE_FULL, and with Redis out of memory', async () => {
    const prefix = newPrefix()
    const maxBytes = 64 * 1024
    const queue = await open({ keyPrefix: prefix, maxBytes })
    const other = await open({ keyPrefix: prefix, maxBytes })
    const big = (n: number) => ({ ...event(n), properties: { blob: 'x'.repeat(10_000) } }) as SegmentEvent
    let stored = 0
    let refusal: unknown
    for (let n = 1; n <= 20 && !refusal; n++) {
      await enqueueEach(n % 2 ? queue : other, [big(n)]).then(
        () => stored++,
        (error) => (refusal = error)
      )
    }
    expect(stored).toBe(6)
    expect(refusal).toBeInstanceOf(QueueFullError)
    expect(refusal).toMatchObject({
      statusCode: 503,
      code: 'QUEUE_FULL',
      message: expect.stringContaining('queue.maxBytes')
    })
    expect(queue.bytes()).toBeLessThanOrEqual(maxBytes)
    expect(queue.hasRoom(10_000)).toBe(false)
    // Nothing of a refused call is stored, not even its messageId.
    expect(await redis.exists(`${prefix}:seen:m7`)).toBe(0)

    await queue.settle(delivered('a', await queue.read('a', -1, 2)))
    expect(await enqueueEach(queue, [big(7)])).toEqual([{ duplicate: false, position: 7 }])

    await redis.config('SET', 'maxmemory', '1')
    try {
      await expect(enqueueEach(queue, [event(100)])).rejects.toMatchObject({
        code: 'QUEUE_FULL',
        message: expect.stringMatching(/out of memory/)
      })
    } finally {
      await redis.config('SET', 'maxmemory', '0')
    }
  })

  it('shares the work: two processes never read the same partition at once, and see every event once, in order per contact', async () => {
    const prefix = newPrefix()
    const a = await open({ keyPrefix: prefix, partitions: 8 })
    expect(a.partitions()).toHaveLength(8)
    const events = Array.from({ length: 200 }, (_, i) => event(i, `c${i % 20}`))
    for (let i = 0; i < events.length; i += 10) await enqueueEach(a, events.slice(i, i + 10))

    const watch = watchPartitions([a])
    const seen: Seen[] = []
    const done = () => seen.length >= events.length
    const started = Date.now()
    // The second process joins while the first works through the queue: the first gives up half its partitions,
    // each once what it handed out of them is settled, and the second claims them.
    const first = consume(a, 'a', seen, done, 10)
    const b = await open({ keyPrefix: prefix, partitions: 8 })
    watch.stop()
    const both = watchPartitions([a, b])
    await Promise.all([first, consume(b, 'b', seen, done, 10)])
    both.stop()

    expect(Date.now() - started).toBeLessThan(3000)
    expect(seen.map((s) => s.id).sort()).toEqual(events.map((e) => e.messageId as string).sort())
    expectOrderPerContact(seen, events)
    expect(seen.filter((s) => s.by === 'b').length).toBeGreaterThan(20)
    expect(both.overlaps).toEqual([])
    expect([...a.partitions(), ...b.partitions()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(a.partitions()).toHaveLength(4)
    expect(await streamLengths(prefix, 'a', 8)).toBe(0)
  })

  it('hands a dead process’s partitions to another: its unsettled events are claimed after the idle time, in order, with their attempts', async () => {
    const prefix = newPrefix()
    const connection = new Redis(server.url)
    const a = await open({ keyPrefix: prefix, connection })
    const b = await open({ keyPrefix: prefix })
    await waitFor(
      'the two to share the partitions',
      () => [a.partitions().length, b.partitions().length],
      ([ofA, ofB]) => ofA === 2 && ofB === 2,
      { timeoutMs: 3000, intervalMs: 5 }
    )
    const events = Array.from({ length: 40 }, (_, i) => event(i, `c${i % 8}`))
    for (let i = 0; i < events.length; i += 5) await enqueueEach(b, events.slice(i, i + 5))

    // The first process delivers two events, has a third to retry, and dies with three more handed out.
    const page = await a.read('a', -1, 6)
    expect(page).toHaveLength(6)
    await a.settle({ ...delivered('a', page.slice(0, 2)), retried: [{ ...page[2], attempts: 1 }] })
    const itsPartitions = a.partitions()
    const watch = watchPartitions([a, b])
    connection.disconnect()
    const died = Date.now()

    const seen: Seen[] = []
    let tookOver = 0
    await consume(b, 'b', seen, () => {
      if (!tookOver && b.partitions().length === 4) tookOver = Date.now() - died
      return seen.length >= events.length - 2
    })
    watch.stop()

    // The rest of the dead process's lease (renewed every third of it), then the next renewal of the other.
    expect(tookOver).toBeGreaterThanOrEqual(LEASE_MS / 2)
    expect(tookOver).toBeLessThan(LEASE_MS + CLAIM_IDLE_MS + 1000)
    expect(watch.overlaps).toEqual([])
    expect(b.partitions()).toEqual([0, 1, 2, 3])
    expect(itsPartitions).toHaveLength(2)
    const byA = page.slice(0, 2).map((queued) => ({
      by: 'a',
      id: queued.event.messageId as string,
      contact: contactOf(queued.event),
      attempts: 0
    }))
    // Nothing lost, nothing twice: what the dead process delivered, and everything else once from the other.
    expect([...byA, ...seen].map((s) => s.id).sort()).toEqual(events.map((e) => e.messageId as string).sort())
    expect(seen.find((s) => s.id === page[2].event.messageId)?.attempts).toBe(1)
    expectOrderPerContact([...byA, ...seen], events)
    expect(await streamLengths(prefix, 'a')).toBe(0)
  })

  it('reads again what it read while its partition stopped being readable, once the partition is readable again', async () => {
    // A read whose partition lapses meanwhile (a lease renewal late under load, or the partition given up) drops
    // what it read, which stays pending for this consumer; nothing else would ever read it again.
    const client = new Redis(server.url)
    let lapse: (() => void) | undefined
    const call = client.call.bind(client) as (command: string, args: (string | number)[]) => Promise<unknown>
    ;(client as unknown as { call: typeof call }).call = async (command, args) => {
      const reply = await call(command, args)
      // The read script's first key is the subscription's attempts.
      if (lapse && command === 'EVALSHA' && String(args[2]).includes(':attempts:')) {
        lapse()
        lapse = undefined
      }
      return reply
    }
    try {
      const queue = await open({ keyPrefix: newPrefix(), connection: client, partitions: 1 })
      await enqueueEach(queue, [event(1)])
      const first = await queue.read('a', -1, 10)
      expect(ids(first)).toEqual(['m1'])
      await queue.settle(delivered('a', first))

      await enqueueEach(queue, [event(2), event(3)])
      const leases = (queue as unknown as { leases: { until: Map<number, number> } }).leases
      lapse = () => leases.until.set(0, 0)
      expect(await queue.read('a', first[0].position, 10)).toEqual([])
      expect(lapse).toBeUndefined()
      // The next renewal makes the partition readable again.
      expect(ids(await readAll(queue, 'a', 2))).toEqual(['m2', 'm3'])
    } finally {
      client.disconnect()
    }
  })

  it('keeps every acknowledged event and dead letter across a Redis crash, with its append-only file', async () => {
    const durable = await startRedisServer({ aof: true })
    try {
      const prefix = newPrefix()
      const options = { keyPrefix: prefix, connection: durable.url }
      const queue = await open(options)
      expect(queue.aof).toBe(true)
      await enqueueEach(
        queue,
        [1, 2, 3, 4, 5].map((n) => event(n))
      )
      const page = await queue.read('a', -1, 3)
      await queue.settle({
        subscription: 'a',
        delivered: [page[0].position],
        deadLettered: [
          {
            position: page[1].position,
            letter: { subscription: 'a', status: 400, reason: 'bad', attempts: 1, event: event(2) }
          }
        ],
        retried: [{ ...page[2], attempts: 1 }]
      })
      await queue.close()
      await durable.kill()
      await durable.restart()

      const after = await open(options)
      expect(Object.fromEntries(after.resumable)).toEqual({ a: 3 })
      // m3, handed out when the first process stopped, comes after the claim idle time, with its attempts.
      const left = await readAll(after, 'a', 3)
      expect(Object.fromEntries(left.map((queued) => [queued.event.messageId, queued.attempts]))).toEqual({
        m3: 1,
        m4: 0,
        m5: 0
      })
      expect(await after.deadLetterCount()).toBe(1)
      expect(await enqueueEach(after, [event(1), event(6)])).toEqual([
        { duplicate: true },
        { duplicate: false, position: 6 }
      ])
      await after.close()
    } finally {
      await durable.stop()
    }
  })

  it('refuses, saying what to change, a Redis it cannot reach, that evicts keys, or with other partitions', async () => {
    const gone = await startRedisServer()
    const url = gone.url
    await gone.stop()
    await expect(open({ keyPrefix: newPrefix(), connection: url })).rejects.toThrow(
      new RegExp(`Cannot use Redis at ${url}.*queue.redis.*ECONNREFUSED`)
    )

    const prefix = newPrefix()
    await open({ keyPrefix: prefix })
    await expect(open({ keyPrefix: prefix, partitions: 8 })).rejects.toThrow(
      /keeps the queue \{test-\d+\} in 4 partitions per subscription, and the config says 8/
    )

    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru')
    try {
      await expect(open({ keyPrefix: newPrefix() })).rejects.toThrow(/maxmemory-policy is allkeys-lru.*noeviction/)
    } finally {
      await redis.config('SET', 'maxmemory-policy', 'noeviction')
    }
  })
})

describe('partitions', () => {
  it('keys an event by its contact: the address as Listrak compares it, else the user', () => {
    const track = (fields: object) => ({ type: 'track', event: 'x', ...fields }) as SegmentEvent
    const jane = track({ context: { traits: { email: ' Jane@Example.com ' } }, userId: 'u1' })
    expect(partitionKeyOf(jane)).toBe('email:jane@example.com')
    expect(partitionKeyOf(track({ traits: { email: 'jane@example.com' }, userId: 'u2' }))).toBe(
      'email:jane@example.com'
    )
    expect(partitionKeyOf(track({ context: { traits: { email: '' } }, userId: 'u3' }))).toBe('user:u3')
    expect(partitionKeyOf(track({ anonymousId: 'a4' }))).toBe('user:a4')
    // FNV-1a of the key, as any implementation computes it: every process puts a contact in the same partition.
    expect([1, 4, 16, 64].map((partitions) => partitionOf(jane, partitions))).toEqual([0, 2, 10, 10])
  })
})
