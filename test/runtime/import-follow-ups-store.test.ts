import type { SegmentEvent } from '@segment/actions-core'
import { mkdtempSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import type { Deliverer, Outcome } from '../../runtime/pipeline/delivery'
import { Pipeline } from '../../runtime/pipeline/pipeline'
import type { CompiledSubscription } from '../../runtime/pipeline/subscriptions'
import type { DeadLetter, EventQueue, QueuedEvent } from '../../runtime/queue'
import { FINISHED_KEPT, FinishedImport, FollowUpInput } from '../../runtime/queue/follow-ups'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { RedisQueue } from '../../runtime/queue/redis/queue'
import { RuntimeStats } from '../../runtime/stats'
import { startRedisServer, RedisServer } from '../redis-server'
import { waitFor } from '../wait'

/**
 * The list imports being followed up, as each durable queue keeps them: recorded in the settle's transaction with
 * the events that leave the queue, still there after the queue is closed and opened again (a restart), finished in
 * one transaction with their dead letters, and the last 100 finished ones kept.
 */

const SUBSCRIPTION = 'signups'

const event = (n: number) =>
  ({
    type: 'identify',
    messageId: `m${n}`,
    userId: `u${n}`,
    traits: { email: `c${n}@example.com` },
    context: { traits: { email: `c${n}@example.com` } }
  }) as unknown as SegmentEvent

interface Backend {
  /** Opens the queue; `again` opens it as the next start (or another runtime) would. */
  open(again?: boolean): Promise<EventQueue>
  letters(queue: EventQueue): Promise<DeadLetter[]>
  close(): Promise<void>
}

function lmdb(): Backend {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'follow-ups-'))
  return {
    open: async () =>
      new LmdbQueue({ path: dir, maxBytes: 2 ** 30, dedupWindowMs: 0, dedupMaxEntries: 0, role: 'owner' }),
    letters: async (queue) => [...(queue as LmdbQueue).deadLetters()],
    close: async () => undefined
  }
}

let server: RedisServer | undefined
let prefixes = 0
function redis(): Backend {
  const keyPrefix = `{follow-ups-${++prefixes}}`
  let consumers = 0
  return {
    open: async () =>
      RedisQueue.open({
        connection: (server as RedisServer).url,
        keyPrefix,
        partitions: 2,
        maxBytes: 2 ** 30,
        dedupWindowMs: 0,
        leaseMs: 300,
        claimIdleMs: 300,
        consumer: `runtime-${++consumers}`
      }),
    letters: async (queue) => {
      const found: DeadLetter[] = []
      for await (const letter of (queue as RedisQueue).deadLetters()) found.push(letter)
      return found
    },
    close: async () => undefined
  }
}

/** Enqueues events 1..n and reads them back, as a lane does: Redis hands them out only to a reader. */
async function queued(queue: EventQueue, n: number): Promise<QueuedEvent[]> {
  await queue.enqueue(
    Array.from({ length: n }, (_, i) => ({ event: event(i + 1), subscriptions: [SUBSCRIPTION] })),
    { dedup: false }
  )
  return waitFor(
    `${n} events read`,
    () => queue.read(SUBSCRIPTION, -1, n),
    (page) => page.length === n
  )
}

const followUpOf = (importFileId: string, page: QueuedEvent[]): FollowUpInput => ({
  listId: 12345,
  importFileId,
  importType: 'RemoveSubscribers',
  rows: page.map((item) => ({
    position: item.position,
    emailAddress: (item.event.traits as { email: string }).email,
    event: item.event,
    attempts: 1
  }))
})

const report = (importFileId: string, outcome: FinishedImport['outcome'] = 'completed'): FinishedImport => ({
  subscription: SUBSCRIPTION,
  listId: 12345,
  importFileId,
  startedAt: '2026-12-04T15:00:00.000Z',
  finishedAt: '2026-12-04T15:00:09.000Z',
  outcome,
  rows: 2,
  deadLettered: 1,
  refused: 1,
  refusals: [{ emailAddress: 'c1@example.com', importResult: 'InvalidEmail' }]
})

describe.each([
  ['the LMDB store', lmdb],
  ['Redis', redis]
])('follow-ups in %s', (name, backendOf) => {
  const opened: EventQueue[] = []
  let backend: Backend
  const open = async (again = false) => {
    const queue = await backend.open(again)
    opened.push(queue)
    return queue
  }
  beforeAll(async () => {
    if (name === 'Redis') server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
    server = undefined
  })
  beforeEach(() => {
    backend = backendOf()
  })
  afterEach(async () => {
    for (const queue of opened.splice(0)) await queue.close()
    await backend.close()
  })

  it('records them with the settlement that delivers their events, and keeps them across a restart', async () => {
    const queue = await open()
    const page = await queued(queue, 3)
    await queue.settle({
      subscription: SUBSCRIPTION,
      delivered: page.map((item) => item.position),
      deadLettered: [],
      retried: [],
      followUps: [followUpOf('4', page.slice(0, 2)), followUpOf('5', page.slice(2))]
    })
    expect(await queue.read(SUBSCRIPTION, -1, 10)).toEqual([])
    await queue.close()

    const next = await open(true)
    const following = await next.imports.following()
    expect(
      following.map(({ subscription, listId, importFileId, importType, rows, polls }) => [
        subscription,
        listId,
        importFileId,
        importType,
        rows,
        polls
      ])
    ).toEqual([
      [SUBSCRIPTION, 12345, '4', 'RemoveSubscribers', 2, 0],
      [SUBSCRIPTION, 12345, '5', 'RemoveSubscribers', 1, 0]
    ])
    expect(Date.parse(following[0].startedAt)).toBeGreaterThan(Date.now() - 60_000)
    const key = { subscription: SUBSCRIPTION, listId: 12345, importFileId: '4' }
    expect((await next.imports.rows(key)).map((row) => [row.emailAddress, row.event.messageId, row.attempts])).toEqual([
      ['c1@example.com', 'm1', 1],
      ['c2@example.com', 'm2', 1]
    ])
    await next.imports.progress(key, { status: 'Queued', checkedAt: '2026-12-04T15:00:02.000Z', polls: 1 })
    await next.close()

    const third = await open(true)
    expect((await third.imports.following())[0]).toMatchObject({
      importFileId: '4',
      status: 'Queued',
      checkedAt: '2026-12-04T15:00:02.000Z',
      polls: 1
    })
  })

  it('finishes one in one transaction with its dead letters, once; and keeps the last 100 finished', async () => {
    const queue = await open()
    const page = await queued(queue, 2)
    await queue.settle({
      subscription: SUBSCRIPTION,
      delivered: page.map((item) => item.position),
      deadLettered: [],
      retried: [],
      followUps: [followUpOf('4', page)]
    })
    const key = { subscription: SUBSCRIPTION, listId: 12345, importFileId: '4' }
    const [row] = await queue.imports.rows(key)
    const letter = {
      subscription: SUBSCRIPTION,
      status: 400,
      reason: 'Listrak refused the address in list import 4 on list 12345: InvalidEmail',
      attempts: row.attempts,
      listId: 12345,
      event: row.event
    }
    expect(await queue.imports.finish(key, { report: report('4'), letters: [letter] })).toBe(true)
    // Another runtime finishing it too stores nothing.
    expect(await queue.imports.finish(key, { report: report('4'), letters: [letter] })).toBe(false)
    expect(await queue.imports.following()).toEqual([])
    expect(await queue.imports.rows(key)).toEqual([])
    expect((await backend.letters(queue)).map((l) => [l.messageId, l.status, l.reason, l.listId])).toEqual([
      ['m1', 400, 'Listrak refused the address in list import 4 on list 12345: InvalidEmail', 12345]
    ])
    expect(await queue.imports.finished()).toEqual([report('4')])

    for (let i = 0; i < FINISHED_KEPT + 4; i++) {
      const [item] = await queued(queue, 1)
      await queue.settle({
        subscription: SUBSCRIPTION,
        delivered: [item.position],
        deadLettered: [],
        retried: [],
        followUps: [followUpOf(`n${i}`, [item])]
      })
      await queue.imports.finish(
        { subscription: SUBSCRIPTION, listId: 12345, importFileId: `n${i}` },
        { report: report(`n${i}`), letters: [] }
      )
    }
    const kept = await queue.imports.finished()
    expect([kept.length, kept[0].importFileId, kept[kept.length - 1].importFileId]).toEqual([
      FINISHED_KEPT,
      `n${FINISHED_KEPT + 3}`,
      'n4'
    ])
    await queue.close()
    const again = await open(true)
    expect((await again.imports.finished()).length).toBe(FINISHED_KEPT)
  })

  it('records what a pipeline delivered in a list import, in the transaction that takes it off the queue', async () => {
    const queue = await open()
    const recorded: string[] = []
    const subscription: CompiledSubscription = {
      name: SUBSCRIPTION,
      subscribe: 'type = "identify"',
      partnerAction: 'unsubscribeContact',
      mapping: {},
      batching: true,
      batchSize: 10,
      matches: () => true
    }
    const deliverer = {
      deliver: async (_: CompiledSubscription, events: SegmentEvent[]) =>
        events.map((e): Outcome => ({
          kind: 'delivered',
          status: 201,
          listId: 12345,
          resourceId: '42',
          listImport: { importFileId: '42', emailAddress: (e.traits as { email: string }).email }
        }))
    } as unknown as Deliverer
    const stats = new RuntimeStats()
    const pipeline = new Pipeline([subscription], deliverer, queue, stats, pino({ level: 'silent' }), {
      maxQueue: 100,
      concurrency: 1,
      flushIntervalMs: 10,
      maxAttempts: 3,
      retryBaseMs: 1,
      retryMaxMs: 5,
      pollMs: 20,
      onFollowUps: (name, followUps) => recorded.push(...followUps.map((f) => `${name}:${f.importFileId}`))
    })
    await pipeline.resume()
    await pipeline.acceptAll([event(1), event(2)])
    await waitFor(
      'both delivered',
      () => stats.totals.delivered,
      (n) => n === 2
    )
    const [followUp] = await queue.imports.following()
    expect([followUp.importFileId, followUp.rows]).toEqual(['42', 2])
    expect(recorded).toEqual([`${SUBSCRIPTION}:42`])
    expect(stats.toJSON(0).importsPerList).toEqual({ '12345': 1 })
    await pipeline.drain(1000)
  })
})

describe('follow-ups shared in Redis', () => {
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
    server = undefined
  })

  it('one runtime polls an import at a time; another takes it over once the lease lapses', async () => {
    const backend = redis()
    const [one, two] = [await backend.open(), await backend.open(true)]
    try {
      const key = { subscription: SUBSCRIPTION, listId: 12345, importFileId: '4' }
      // Nothing to follow yet: no lease is taken on what is not there.
      expect(await one.imports.claim(key, 200)).toBe(false)
      const page = await queued(one, 1)
      await one.settle({
        subscription: SUBSCRIPTION,
        delivered: page.map((item) => item.position),
        deadLettered: [],
        retried: [],
        followUps: [followUpOf('4', page)]
      })
      expect(await one.imports.claim(key, 200)).toBe(true)
      expect(await two.imports.claim(key, 200)).toBe(false)
      expect(await one.imports.claim(key, 200)).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 250))
      expect(await two.imports.claim(key, 200)).toBe(true)
      expect(await one.imports.claim(key, 200)).toBe(false)
    } finally {
      await one.close()
      await two.close()
    }
  })

  it('moves the bytes of the events from the streams to the follow-up, and frees them when it finishes', async () => {
    const backend = redis()
    const queue = (await backend.open()) as RedisQueue
    try {
      const page = await queued(queue, 2)
      await queue.settle({
        subscription: SUBSCRIPTION,
        delivered: page.map((item) => item.position),
        deadLettered: [],
        retried: [],
        followUps: [followUpOf('4', page)]
      })
      const held = await waitFor(
        'bytes measured',
        () => queue.bytes(),
        (bytes) => bytes > 0
      )
      expect(held).toBeGreaterThan(2 * JSON.stringify(event(1)).length)
      const key = { subscription: SUBSCRIPTION, listId: 12345, importFileId: '4' }
      await queue.imports.finish(key, { report: report('4'), letters: [] })
      expect(
        await waitFor(
          'bytes freed',
          () => queue.bytes(),
          (bytes) => bytes === 0
        )
      ).toBe(0)
    } finally {
      await queue.close()
    }
  })
})
