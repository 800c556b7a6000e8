import type { SegmentEvent } from '@segment/actions-core'
import { mkdtempSync, readFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { DeadLetterFile } from '../../runtime/queue/dead-letter-file'
import type { Deliverer, Outcome } from '../../runtime/pipeline/delivery'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { MemoryQueue } from '../../runtime/queue/memory'
import { Pipeline, PipelineOptions } from '../../runtime/pipeline/pipeline'
import type { DeadLetter, Enqueued, EventQueue } from '../../runtime/queue'
import { RuntimeStats } from '../../runtime/stats'
import type { CompiledSubscription } from '../../runtime/pipeline/subscriptions'
import { waitFor } from '../wait'

/**
 * The pipeline on its own, over each queue (the durable store and memory): a scripted deliverer stands in for
 * actions-core and Listrak.
 */

const subscription = (overrides: Partial<CompiledSubscription> = {}): CompiledSubscription => ({
  name: 'sub',
  subscribe: 'type = "track"',
  partnerAction: 'updateEmailContactProfileFields',
  mapping: {},
  batching: true,
  batchSize: 3,
  matches: (event) => event.type === 'track',
  ...overrides
})

const event = (n: number, type = 'track') => ({ type, messageId: `m${n}`, userId: `u${n}` }) as SegmentEvent

type Script = (events: SegmentEvent[], call: number) => Outcome[]

const dedup = { dedupWindowMs: 60_000, dedupMaxEntries: 1000 }
const queues: [string, (dir: string) => EventQueue][] = [
  [
    'the durable queue',
    (dir) => new LmdbQueue({ path: path.join(dir, 'queue'), maxBytes: 2 ** 30, ...dedup, role: 'owner' })
  ],
  ['the in-memory queue', (dir) => new MemoryQueue(new DeadLetterFile(path.join(dir, 'dead.ndjson')), dedup)]
]

describe.each(queues)('Pipeline over %s', (_, openQueue) => {
  const opened: EventQueue[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()))
  })

  function setup(script: Script, options: Partial<PipelineOptions> = {}, subscriptions = [subscription()]) {
    const calls: string[][] = []
    const deliverer = {
      deliver: async (_: CompiledSubscription, events: SegmentEvent[]) => {
        calls.push(events.map((e) => e.messageId as string))
        await new Promise((resolve) => setImmediate(resolve))
        return script(events, calls.length)
      }
    } as unknown as Deliverer
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-'))
    const queue = openQueue(dir)
    opened.push(queue)
    const stats = new RuntimeStats()
    const pipeline = new Pipeline(
      subscriptions,
      deliverer,
      queue,
      stats,
      pino({ level: 'silent' }),
      {
        maxQueue: 100,
        concurrency: 2,
        flushIntervalMs: 20,
        maxAttempts: 3,
        retryBaseMs: 5,
        retryMaxMs: 20,
        ...options
      },
      () => 0.5
    )
    void pipeline.resume()
    const letters = async (): Promise<DeadLetter[]> => {
      if (queue instanceof LmdbQueue) return [...queue.deadLetters()]
      await queue.close()
      return readFileSync(path.join(dir, 'dead.ndjson'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as DeadLetter)
    }
    return { pipeline, calls, stats, letters, queue }
  }

  const ok: Script = (events) => events.map(() => ({ kind: 'delivered', status: 201, listId: 1, resourceId: 'r' }))

  it('sends a full batch at once and a partial one after the flush interval', async () => {
    const { pipeline, calls, stats } = setup(ok)
    await Promise.all([1, 2, 3, 4].map((i) => pipeline.accept(event(i))))
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).toEqual([['m1', 'm2', 'm3']])
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1', 'm2', 'm3'], ['m4']])
    expect(stats.totals.delivered).toBe(4)
    expect(Object.fromEntries(stats.imports)).toEqual({ '1': new Set(['r']) })
  })

  it('waits for the flush interval before sending a partial batch', async () => {
    const { pipeline, calls } = setup(ok, { flushIntervalMs: 30 })
    const acceptedAt = performance.now()
    await pipeline.accept(event(1))
    expect(calls).toEqual([])
    await waitFor(
      'the partial batch',
      () => calls.length,
      (sent) => sent > 0
    )
    // Timers may fire a millisecond early.
    expect(performance.now() - acceptedAt).toBeGreaterThanOrEqual(29)
    expect(calls).toEqual([['m1']])
  })

  it('sends events one by one for a mapping without batching', async () => {
    const { pipeline, calls } = setup(ok, {}, [subscription({ batching: false })])
    await Promise.all([1, 2, 3].map((i) => pipeline.accept(event(i))))
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1'], ['m2'], ['m3']])
  })

  it('counts events that match no subscription and queues nothing for them', async () => {
    const { pipeline, stats } = setup(ok)
    expect(await pipeline.accept(event(1, 'identify'))).toBe(0)
    expect(stats.unmatched).toBe(1)
    expect(pipeline.depth).toBe(0)
  })

  it('retries only the retryable events, at the head of the queue, before later events', async () => {
    const script: Script = (events, call) =>
      events.map((e) =>
        call === 1 && e.messageId === 'm2'
          ? { kind: 'retryable', status: 503, reason: 'down' }
          : { kind: 'delivered', status: 201 }
      )
    const { pipeline, calls, stats } = setup(script)
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => pipeline.accept(event(i))))
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1', 'm2', 'm3'], ['m2', 'm4', 'm5'], ['m6']])
    expect(stats.totals).toEqual({ delivered: 6, refused: 0, retried: 1, deadLettered: 0 })
  })

  it('waits between tries 4 ms doubling per attempt, capped at retryMaxMs 32 ms: 9 attempts, 8 waits', async () => {
    const timer = jest.spyOn(global, 'setTimeout')
    try {
      const { pipeline, calls, letters } = setup(
        (events) => events.map(() => ({ kind: 'retryable', status: 503, reason: 'down' })),
        { retryBaseMs: 4, retryMaxMs: 32, maxAttempts: 9 },
        [subscription({ batching: false })]
      )
      await pipeline.accept(event(1))
      await pipeline.drain(10_000)
      expect(calls).toHaveLength(9)
      // With the jitter drawn at 0.5 each wait is 3/4 of its step: 4, 8, 16, 32, then 32 where 64, 128, 256 and
      // 512 would come uncapped.
      // The other timers are no waits: the drain's deadline and the refusal log's interval (10 s), LMDB's (0 ms).
      const waits = timer.mock.calls.map(([, ms]) => ms).filter((ms) => ms !== undefined && ms > 0 && ms < 10_000)
      expect(waits).toEqual([3, 6, 12, 24, 24, 24, 24, 24])
      expect(await letters()).toMatchObject([
        { messageId: 'm1', attempts: 9, reason: 'gave up after 9 attempt(s): down' }
      ])
    } finally {
      timer.mockRestore()
    }
  })

  it('dead-letters refused events with their reason, and retryable ones after the last attempt', async () => {
    const script: Script = (events) =>
      events.map((e) =>
        e.messageId === 'm1'
          ? { kind: 'refused', status: 400, reason: 'bad key', errortype: 'PAYLOAD_VALIDATION_FAILED' }
          : { kind: 'retryable', status: 429, reason: 'slow down' }
      )
    const { pipeline, calls, stats, letters } = setup(script)
    await Promise.all([pipeline.accept(event(1)), pipeline.accept(event(2))])
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1', 'm2'], ['m2'], ['m2']])
    expect(await letters()).toEqual([
      expect.objectContaining({ messageId: 'm1', status: 400, reason: 'bad key', attempts: 1 }),
      expect.objectContaining({
        messageId: 'm2',
        status: 429,
        reason: 'gave up after 3 attempt(s): slow down',
        attempts: 3
      })
    ])
    expect(stats.totals).toEqual({ delivered: 0, refused: 1, retried: 2, deadLettered: 2 })
    expect(pipeline.depth).toBe(0)
  })

  it('bounds the queue and lets a producer wait for room', async () => {
    const { pipeline } = setup(ok, { maxQueue: 3 })
    await Promise.all([1, 2, 3].map((i) => pipeline.accept(event(i))))
    expect(pipeline.hasCapacity()).toBe(false)
    // The full batch is in flight; its events leave the queue when it settles.
    await pipeline.waitForDepthBelow(1)
    expect(pipeline.hasCapacity(3)).toBe(true)
  })

  it('at the shutdown deadline keeps what is left in a durable queue, and dead-letters it in memory', async () => {
    const { pipeline, letters, stats, queue } = setup(
      (events) => events.map(() => ({ kind: 'retryable', status: 503 })),
      { retryBaseMs: 10_000, retryMaxMs: 10_000 }
    )
    await pipeline.accept(event(1))
    const result = await pipeline.drain(50)
    if (queue.durable) {
      expect(result).toEqual({ left: 1, interrupted: false })
      expect(await letters()).toEqual([])
      expect(stats.totals.deadLettered).toBe(0)
      return
    }
    expect(result).toEqual({ left: 0, interrupted: false })
    const [letter] = await letters()
    expect(letter).toMatchObject({ messageId: 'm1', reason: expect.stringContaining('not delivered before shutdown') })
    expect(stats.totals.deadLettered).toBe(1)
    expect(pipeline.depth).toBe(0)
  })

  it('stops a drain at once when interrupted, delivery in flight or not', async () => {
    const { pipeline, letters, queue, calls } = setup(() => new Promise<Outcome[]>(() => undefined) as never)
    await Promise.all([1, 2, 3, 4].map((i) => pipeline.accept(event(i))))
    const draining = pipeline.drain(60_000)
    await waitFor(
      'the full batch in flight',
      () => calls.length,
      (sent) => sent > 0
    )
    pipeline.interrupt()
    const result = await draining
    expect(result.interrupted).toBe(true)
    if (queue.durable) {
      expect(result.left).toBe(4)
      expect(await letters()).toEqual([])
    } else {
      // In memory, nothing goes unrecorded: the batch in flight is dead-lettered too, saying it may have arrived.
      expect(result.left).toBe(0)
      const reasons = (await letters()).map((l) => [l.messageId, l.reason]).sort()
      expect(reasons).toEqual([
        ['m1', expect.stringContaining('in flight at shutdown')],
        ['m2', expect.stringContaining('in flight at shutdown')],
        ['m3', expect.stringContaining('in flight at shutdown')],
        ['m4', expect.stringContaining('not delivered before shutdown')]
      ])
    }
  })

  it('queues an event once within the dedup window: a retried request is not delivered twice', async () => {
    const { pipeline, calls, stats } = setup(ok)
    expect(await pipeline.accept(event(1))).toBe(1)
    expect(await pipeline.accept(event(1))).toBe(0)
    const [first, second] = await Promise.all([pipeline.accept(event(2)), pipeline.accept(event(2))])
    expect([first, second]).toEqual([1, 0])
    // A replay asks for no dedup: a file replayed again is delivered again.
    expect(await pipeline.accept(event(1), { dedup: false })).toBe(1)
    await pipeline.drain(1000)
    expect(calls.flat()).toEqual(['m1', 'm2', 'm1'])
    expect(stats).toMatchObject({ accepted: 3, duplicates: 2 })
  })

  it('accepts many events all or nothing, duplicates and unmatched ones included', async () => {
    const { pipeline, calls, stats } = setup(ok, { maxQueue: 5 })
    expect(await pipeline.acceptAll([event(1), event(2, 'identify'), event(1), event(3)])).toEqual([1, 0, 0, 1])
    await expect(pipeline.acceptAll([4, 5, 6, 7].map((i) => event(i)))).rejects.toMatchObject({
      statusCode: 503,
      code: 'QUEUE_FULL'
    })
    expect(pipeline.depth).toBe(2)
    await pipeline.drain(1000)
    expect(calls.flat()).toEqual(['m1', 'm3'])
    expect(stats).toMatchObject({ accepted: 3, unmatched: 1, duplicates: 1 })
  })

  it('delivers a queue far deeper than its window in order, a page at a time', async () => {
    const { pipeline, calls, stats } = setup(ok, { maxQueue: 1000, concurrency: 1 })
    const ids = Array.from({ length: 500 }, (_, i) => i + 1)
    await Promise.all(ids.map((i) => pipeline.accept(event(i))))
    await pipeline.drain(10_000)
    expect(calls.flat()).toEqual(ids.map((i) => `m${i}`))
    expect(calls.every((batch) => batch.length <= 3)).toBe(true)
    expect(stats.totals.delivered).toBe(500)
  })

  it('delivers each event once when a page is read before its acceptance is through', async () => {
    // Acceptances that resolve late, as commits do under load: the store has the events, the lanes not yet.
    const { pipeline, calls: deliveries, queue } = setup(ok, { maxQueue: 1000, concurrency: 1 })
    // The first hundred fill the window at once; the rest trickle in while pages are read.
    const enqueue = queue.enqueue.bind(queue)
    let calls = 0
    let last: Promise<unknown> = Promise.resolve()
    queue.enqueue = (...args) => {
      if (++calls <= 100) return enqueue(...args)
      const resolved = Promise.all([enqueue(...args), last]).then(
        ([result]) => new Promise<Enqueued[]>((resolve) => setTimeout(() => resolve(result), 1))
      )
      last = resolved
      return resolved
    }
    const ids = Array.from({ length: 300 }, (_, i) => i + 1)
    await Promise.all(ids.map((i) => pipeline.accept(event(i))))
    await pipeline.drain(10_000)
    expect(deliveries.flat()).toEqual(ids.map((i) => `m${i}`))
  })

  it('refuses new events once it is draining', async () => {
    const { pipeline } = setup(ok)
    await pipeline.drain(100)
    await expect(pipeline.accept(event(1))).rejects.toMatchObject({
      statusCode: 503,
      code: 'SHUTTING_DOWN',
      message: expect.stringContaining('shutting down')
    })
  })
})

describe('Pipeline over a shared queue', () => {
  it('drains every event when reads give short pages while more is queued, as Redis may', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-shared-'))
    const store = new LmdbQueue({ path: path.join(dir, 'queue'), maxBytes: 2 ** 30, ...dedup, role: 'owner' })
    // A queue shared with other processes whose every read gives at most 7 events, whatever is asked for.
    const shared: EventQueue = Object.assign(Object.create(store) as EventQueue, {
      shared: true,
      read: (name: string, after: number, limit: number) => store.read(name, after, Math.min(limit, 7))
    })
    const delivered: string[] = []
    const deliverer = {
      deliver: async (_: CompiledSubscription, events: SegmentEvent[]) => {
        delivered.push(...events.map((e) => e.messageId as string))
        await new Promise((resolve) => setImmediate(resolve))
        return events.map(() => ({ kind: 'delivered', status: 201, listId: 1, resourceId: 'r' }) as Outcome)
      }
    } as unknown as Deliverer
    const pipeline = new Pipeline(
      [subscription({ batchSize: 10 })],
      deliverer,
      shared,
      new RuntimeStats(),
      pino({ level: 'silent' }),
      { maxQueue: 1000, concurrency: 2, flushIntervalMs: 20, maxAttempts: 3, retryBaseMs: 5, retryMaxMs: 20 },
      () => 0.5
    )
    try {
      await pipeline.resume()
      await pipeline.acceptAll(Array.from({ length: 50 }, (_, i) => event(i)))
      expect(await pipeline.drain(5000)).toEqual({ left: 0, interrupted: false })
      expect(delivered).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`))
    } finally {
      await store.close()
    }
  })
})

describe('Pipeline readiness', () => {
  it('is not ready once its store holds more than queue.maxBytes, and says where the store is', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-'))
    // Room for one small event, whose first page of the store (4 KB) is already more than the bound.
    const store = new LmdbQueue({ path: path.join(dir, 'queue'), maxBytes: 200, ...dedup, role: 'owner' })
    const pipeline = new Pipeline(
      [subscription()],
      {} as Deliverer,
      store,
      new RuntimeStats(),
      pino({ level: 'silent' }),
      { maxQueue: 100, concurrency: 1, flushIntervalMs: 20, maxAttempts: 3, retryBaseMs: 5, retryMaxMs: 20 }
    )
    try {
      expect(pipeline.notReady()).toBeUndefined()
      // Not resumed: nothing is delivered, the event stays in the store.
      expect(await pipeline.accept(event(1))).toBe(1)
      const reason = await waitFor('the store to be measured', () => pipeline.notReady(), Boolean)
      expect(reason).toBe(`the queue store is full (0.0 MB in ${path.join(dir, 'queue')}; queue.maxBytes)`)
    } finally {
      await store.close()
    }
  })
})
