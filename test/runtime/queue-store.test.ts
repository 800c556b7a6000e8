import type { SegmentEvent } from '@segment/actions-core'
import { spawnSync } from 'child_process'
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import type { Deliverer, Outcome } from '../../runtime/pipeline/delivery'
import { LmdbQueue, LmdbQueueOptions } from '../../runtime/queue/lmdb/queue'
import { Pipeline } from '../../runtime/pipeline/pipeline'
import { EventQueue, QueueFullError, StoreWriteError } from '../../runtime/queue'
import { RuntimeStats } from '../../runtime/stats'
import { StoreLockedError } from '../../runtime/queue/lmdb/store-lock'
import type { CompiledSubscription } from '../../runtime/pipeline/subscriptions'
import { audienceTrack } from '../engage-events'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/** The durable queue: what it keeps across a restart, what it removes, what it refuses, and the files it writes. */

const event = (n: number) => ({ type: 'track', messageId: `m${n}`, userId: `u${n}` }) as SegmentEvent
/** Enqueues one event, as ingest does for a single call. */
const one = (queue: EventQueue, event: SegmentEvent, subscriptions: string[], dedup: boolean) =>
  queue.enqueue([{ event, subscriptions }], { dedup }).then(([result]) => result)

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'queue-store-'))
const mode = (file: string) => (statSync(file).mode & 0o777).toString(8)

const opened: EventQueue[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((queue) => queue.close()))
})

function openStore(dir: string, options: Partial<LmdbQueueOptions> = {}): LmdbQueue {
  const queue = new LmdbQueue({
    path: path.join(dir, 'queue'),
    maxBytes: 2 ** 30,
    dedupWindowMs: 60_000,
    dedupMaxEntries: 100_000,
    role: 'owner',
    ...options
  })
  opened.push(queue)
  return queue
}

const subscription = (name: string): CompiledSubscription => ({
  name,
  subscribe: 'type = "track"',
  partnerAction: 'updateEmailContactProfileFields',
  mapping: {},
  batching: true,
  batchSize: 2,
  matches: (e) => e.type === 'track'
})

/** A pipeline whose deliveries are recorded, and answered by `script` (never, by default: a process that dies). */
function pipelineOver(
  queue: EventQueue,
  script: (events: SegmentEvent[]) => Promise<Outcome[]> = () => new Promise(() => undefined),
  subscriptions = ['a', 'b']
) {
  const calls: string[][] = []
  const deliverer = {
    deliver: (subscription: CompiledSubscription, events: SegmentEvent[]) => {
      calls.push(events.map((e) => `${subscription.name}:${e.messageId}`))
      return script(events)
    }
  } as unknown as Deliverer
  const stats = new RuntimeStats()
  const options = { maxQueue: 1000, concurrency: 2, flushIntervalMs: 10, maxAttempts: 3, retryBaseMs: 1, retryMaxMs: 5 }
  const pipeline = new Pipeline(
    subscriptions.map(subscription),
    deliverer,
    queue,
    stats,
    pino({ level: 'silent' }),
    options
  )
  return { pipeline, calls, stats }
}

const delivered = (events: SegmentEvent[]) =>
  Promise.resolve(events.map((): Outcome => ({ kind: 'delivered', status: 201, listId: 1 })))

describe('the durable queue', () => {
  it('keeps every accepted event across a restart and resumes them first, in order per subscription', async () => {
    const dir = tmp()
    const first = openStore(dir)
    const before = pipelineOver(first)
    await before.pipeline.resume()
    for (let i = 1; i <= 7; i++) await before.pipeline.accept(event(i))
    // The process "dies": deliveries never answer, nothing is drained; only the store is let go.
    await first.close()

    const second = openStore(dir)
    expect(Object.fromEntries(second.resumable)).toEqual({ a: 7, b: 7 })
    const after = pipelineOver(second, delivered)
    expect(after.pipeline.depth).toBe(14)
    // Accepted before delivery starts: it comes after everything resumed.
    await after.pipeline.accept(event(8))
    expect(await after.pipeline.resume()).toBe(14)
    await after.pipeline.drain(5000)
    for (const name of ['a', 'b']) {
      const order = after.calls.flat().filter((call) => call.startsWith(`${name}:`))
      expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${name}:m${i}`))
    }
    expect(after.stats).toMatchObject({ resumed: 14, accepted: 1 })
    expect(after.stats.totals.delivered).toBe(16)
    await second.close()
    expect(openStore(dir).resumable.size).toBe(0)
  })

  it('dead-letters at start what is queued for a subscription no longer in the config', async () => {
    const dir = tmp()
    const first = openStore(dir)
    const items = [
      { event: event(1), subscriptions: ['gone'] },
      { event: event(2), subscriptions: ['a'] }
    ]
    await first.enqueue(items, { dedup: false })
    await first.close()
    const second = openStore(dir)
    const { pipeline, stats } = pipelineOver(second, delivered, ['a'])
    expect(await pipeline.resume()).toBe(1)
    await pipeline.drain(5000)
    expect([...second.deadLetters()]).toEqual([
      expect.objectContaining({
        subscription: 'gone',
        status: 0,
        reason: 'subscription "gone" is not in the config, or is disabled',
        messageId: 'm1'
      })
    ])
    expect(stats.totals).toMatchObject({ delivered: 1, deadLettered: 1 })
  })

  it('settles in one transaction: delivered events leave, dead letters are kept with their reason, retries count', async () => {
    const dir = tmp()
    const queue = openStore(dir)
    const positions: number[] = []
    for (let i = 1; i <= 3; i++) {
      const enqueued = await one(queue, event(i), ['a'], true)
      if (!enqueued.duplicate) positions.push(enqueued.position)
    }
    await queue.settle({
      subscription: 'a',
      delivered: [positions[0]],
      deadLettered: [
        {
          position: positions[1],
          letter: { subscription: 'a', status: 400, reason: 'bad field', attempts: 1, listId: 12345, event: event(2) }
        }
      ],
      retried: [{ position: positions[2], event: event(3), attempts: 2 }]
    })
    await queue.close()

    const reopened = openStore(dir)
    expect(Object.fromEntries(reopened.resumable)).toEqual({ a: 1 })
    expect(await reopened.read('a', -1, 10)).toEqual([{ position: positions[2], event: event(3), attempts: 2 }])
    expect([...reopened.deadLetters()]).toEqual([
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
  })

  it('deduplicates by messageId across a restart, within the window and the count it is given', async () => {
    const dir = tmp()
    const queue = openStore(dir)
    expect(await one(queue, event(1), ['a'], true)).toMatchObject({ duplicate: false })
    await queue.close()
    const reopened = openStore(dir)
    expect(await one(reopened, event(1), ['a'], true)).toEqual({ duplicate: true })
    // Past the window, a messageId is taken again (a store of its own: a reopen takes longer than this window).
    const brief = openStore(tmp(), { dedupWindowMs: 300 })
    expect(await one(brief, event(1), ['a'], true)).toMatchObject({ duplicate: false })
    expect(await one(brief, event(1), ['a'], true)).toEqual({ duplicate: true })
    await new Promise((resolve) => setTimeout(resolve, 350))
    expect(await one(brief, event(1), ['a'], true)).toMatchObject({ duplicate: false })

    // A messageId longer than an LMDB key can hold is stored, and deduplicated, by its digest.
    const long = { ...event(2), messageId: 'x'.repeat(5000) } as SegmentEvent
    expect(await one(reopened, long, ['a'], true)).toMatchObject({ duplicate: false })
    expect(await one(reopened, long, ['a'], true)).toEqual({ duplicate: true })

    // Past dedupMaxEntries the oldest messageIds are forgotten first (a pass runs every 10,000 events).
    const small = openStore(tmp(), { dedupMaxEntries: 100 })
    await Promise.all(Array.from({ length: 10_050 }, (_, i) => one(small, event(i), ['a'], true)))
    await one(small, event(20_000), ['a'], true)
    expect(await one(small, event(0), ['a'], true)).toMatchObject({ duplicate: false })
    expect(await one(small, event(10_049), ['a'], true)).toEqual({ duplicate: true })
  })

  it('bounds the store by bytes: accept rejects with QUEUE_FULL, and ingest answers 503 with Retry-After', async () => {
    const queue = openStore(tmp(), { maxBytes: 1024 * 1024 })
    const big = (n: number) => ({ ...event(n), properties: { blob: 'x'.repeat(30_000) } }) as SegmentEvent
    let stored = 0
    let refusal: unknown
    for (let i = 0; i < 100 && !refusal; i++) {
      await one(queue, big(i), ['a'], true).then(
        () => stored++,
        (error) => (refusal = error)
      )
    }
    expect(refusal).toBeInstanceOf(QueueFullError)
    expect(refusal).toMatchObject({
      statusCode: 503,
      code: 'QUEUE_FULL',
      message: expect.stringContaining('queue.maxBytes')
    })
    expect(stored).toBeGreaterThan(10)
    // Measured afresh: each event takes 8 whole pages of 4 KB, and their leaf page one more.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(queue.bytes()).toBeLessThanOrEqual(1024 * 1024)

    const h = await startTestRuntime({
      ...configFile('config.json'),
      delivery: { flushIntervalMs: 60_000, batchSize: 1000 },
      queue: { maxBytes: 1024 * 1024 }
    })
    try {
      const blob = {
        ...audienceTrack('jane@example.com', 'my_audience', true),
        context: {
          traits: { email: 'jane@example.com' },
          personas: { computation_key: 'my_audience' },
          pad: 'x'.repeat(30_000)
        }
      }
      let response: Response | undefined
      for (let i = 0; i < 100; i++) {
        response = await h.post('/v1/track', { ...blob, messageId: `big-${i}` })
        if (response.status !== 200) break
      }
      expect(response?.status).toBe(503)
      expect(response?.headers.get('retry-after')).toBe('1')
    } finally {
      await h.runtime.stop()
    }
  })

  it('counts queued events and dead letters in maxBytes, not the dedup window: a drained store fills again', async () => {
    const queue = openStore(tmp(), { maxBytes: 256 * 1024, dedupMaxEntries: 100_000 })
    // messageIds of 250 characters (an LMDB key up to 256 is kept whole): the dedup window outweighs the events.
    const long = (n: number) => ({ type: 'track', messageId: `${n}-${'m'.repeat(240)}` }) as SegmentEvent
    let next = 0
    const fill = async () => {
      const stored: number[] = []
      for (;;) {
        const batch = Array.from({ length: 100 }, () => long(next++))
        try {
          const results = await queue.enqueue(
            batch.map((event) => ({ event, subscriptions: ['a'] })),
            { dedup: true }
          )
          for (const result of results) if (!result.duplicate) stored.push(result.position)
        } catch (error) {
          expect(error).toBeInstanceOf(QueueFullError)
          return stored
        }
      }
    }
    const drain = async (positions: number[]) => {
      await queue.settle({ subscription: 'a', delivered: positions, deadLettered: [], retried: [] })
      // The size is measured at most every 100 ms.
      await waitFor('the drained store to have room', () => queue.hasRoom(0) && queue.bytes() < 64 * 1024, Boolean)
    }

    const first = await fill()
    expect(first.length).toBeGreaterThan(100)
    await drain(first)
    const second = await fill()
    expect(second.length).toBeGreaterThanOrEqual(first.length * 0.75)
    await drain(second)
    // Within the window and its 100,000 entries, every messageId is still known.
    for (const n of [0, first.length - 1, next - 101]) {
      expect(await one(queue, long(n), ['a'], true)).toEqual({ duplicate: true })
    }
  })

  it('creates its files readable by their owner only', async () => {
    const dir = tmp()
    openStore(dir)
    const store = path.join(dir, 'queue')
    expect(mode(store)).toBe('700')
    for (const file of ['data.mdb', 'lock.mdb', 'owner.json'])
      expect([file, mode(path.join(store, file))]).toEqual([file, '600'])
  })

  it('takes one runtime per store: a second is refused with who holds it; a dead owner’s lock is taken over', async () => {
    const dir = tmp()
    openStore(dir)
    expect(() => openStore(dir)).toThrow(StoreLockedError)
    expect(() => openStore(dir)).toThrow('already open in this process')

    const other = tmp()
    const store = path.join(other, 'queue')
    mkdirSync(store, { recursive: true })
    // A process that is alive (this one's parent), on this host.
    writeFileSync(
      path.join(store, 'owner.json'),
      JSON.stringify({ pid: process.ppid, instance: 'x', host: os.hostname(), since: 'then' })
    )
    expect(() => openStore(other)).toThrow(`in use by process ${process.ppid} on ${os.hostname()}`)
    // A process that has exited: its lock is stale.
    const { pid } = spawnSync(process.execPath, ['-e', ''])
    writeFileSync(
      path.join(store, 'owner.json'),
      JSON.stringify({ pid, instance: 'y', host: os.hostname(), since: 'then' })
    )
    expect(openStore(other).resumable.size).toBe(0)
  })
})

/** A store that fails when told to, as a full or broken disk does. */
class FailingQueue implements EventQueue {
  failEnqueue = 0
  failSettle = 0
  constructor(private readonly inner: LmdbQueue) {}
  get durable() {
    return this.inner.durable
  }
  get location() {
    return this.inner.location
  }
  get resumable() {
    return this.inner.resumable
  }
  get imports() {
    return this.inner.imports
  }
  enqueue(...args: Parameters<EventQueue['enqueue']>) {
    if (this.failEnqueue-- > 0)
      return Promise.reject(new StoreWriteError('store the event', new Error('ENOSPC: no space left on device')))
    return this.inner.enqueue(...args)
  }
  read(...args: Parameters<EventQueue['read']>) {
    return this.inner.read(...args)
  }
  settle(...args: Parameters<EventQueue['settle']>) {
    if (this.failSettle-- > 0)
      return Promise.reject(new StoreWriteError('record the outcome', new Error('EIO: i/o error')))
    return this.inner.settle(...args)
  }
  hasRoom(bytes: number) {
    return this.inner.hasRoom(bytes)
  }
  bytes() {
    return this.inner.bytes()
  }
  close() {
    return this.inner.close()
  }
}

describe('a store that cannot write', () => {
  it('refuses the event (503) and keeps a delivered batch queued until its outcome is stored, without a crash', async () => {
    const queue = new FailingQueue(openStore(tmp()))
    const { pipeline, calls, stats } = pipelineOver(queue, delivered)
    await pipeline.resume()
    queue.failEnqueue = 1
    await expect(pipeline.accept(event(1))).rejects.toMatchObject({
      statusCode: 503,
      code: 'STORE_ERROR',
      message: expect.stringContaining('ENOSPC')
    })
    expect(pipeline.depth).toBe(0)

    queue.failSettle = 2
    await pipeline.accept(event(2))
    await pipeline.accept(event(3))
    // Delivered once; the outcome is stored at the third try, and only then do the events leave the queue.
    await pipeline.drain(10_000)
    // Whether both events make one batch depends on timing; each is delivered once, in order, either way.
    const deliveredTo = (subscription: string) => calls.flat().filter((call) => call.startsWith(`${subscription}:`))
    expect([deliveredTo('a'), deliveredTo('b')]).toEqual([
      ['a:m2', 'a:m3'],
      ['b:m2', 'b:m3']
    ])
    expect(stats.storeErrors).toBe(3)
    expect(stats.totals.delivered).toBe(4)
    expect(pipeline.depth).toBe(0)
  })
})

describe('the in-memory queue with a dead-letter file it cannot write', () => {
  it('keeps the events queued, counts the errors, keeps serving, and says at exit what it lost', async () => {
    const dir = tmp()
    const h = await startTestRuntime({
      ...configFile('config.json'),
      subscriptions: [
        {
          name: 'bad field',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '8801': 'on' } }
        }
      ],
      // A directory where the file should be: every write fails with EISDIR.
      delivery: { flushIntervalMs: 10, deadLetterFile: dir, shutdownTimeoutMs: 200 },
      queue: { memory: true }
    })
    expect((await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))).status).toBe(200)
    const stats = await waitFor(
      'a failed write of the dead-letter file',
      async () => (await (await fetch(`${h.runtime.url}/stats`)).json()) as Record<string, number>,
      (current) => current.storeErrors > 0
    )
    expect(stats).toMatchObject({ queueDepth: 1, deadLettered: 0 })
    expect((await fetch(`${h.runtime.url}/health`)).status).toBe(200)
    expect(h.logs.join('\n')).toContain('EISDIR')
    const summary = await h.runtime.stop()
    expect(summary).toMatchObject({ deadLettered: 0, lost: 1 })
  })

  it('creates the dead-letter file readable by its owner only', async () => {
    const dir = tmp()
    const h = await startTestRuntime({
      ...configFile('config.json'),
      subscriptions: [
        {
          name: 'bad field',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '8801': 'on' } }
        }
      ],
      delivery: { flushIntervalMs: 10, deadLetterFile: path.join(dir, 'letters', 'dead.ndjson') },
      queue: { memory: true }
    })
    try {
      await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))
      await h.waitForDeadLetters(1)
      expect(mode(path.join(dir, 'letters', 'dead.ndjson'))).toBe('600')
    } finally {
      await h.runtime.stop()
    }
  })
})
