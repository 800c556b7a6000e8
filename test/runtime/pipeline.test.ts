import type { SegmentEvent } from '@segment/actions-core'
import { mkdtempSync, readFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { DeadLetterFile } from '../../runtime/dead-letters'
import type { Deliverer, Outcome } from '../../runtime/delivery'
import { Pipeline, PipelineOptions } from '../../runtime/pipeline'
import { RuntimeStats } from '../../runtime/stats'
import type { CompiledSubscription } from '../../runtime/subscriptions'

/** The pipeline on its own: a scripted deliverer stands in for actions-core and Listrak. */

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

function setup(script: Script, options: Partial<PipelineOptions> = {}, subscriptions = [subscription()]) {
  const calls: string[][] = []
  const deliverer = {
    deliver: async (_: CompiledSubscription, events: SegmentEvent[]) => {
      calls.push(events.map((e) => e.messageId as string))
      await new Promise((resolve) => setImmediate(resolve))
      return script(events, calls.length)
    }
  } as unknown as Deliverer
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pipeline-')), 'dead.ndjson')
  const deadLetters = new DeadLetterFile(file)
  const stats = new RuntimeStats()
  const pipeline = new Pipeline(
    subscriptions,
    deliverer,
    deadLetters,
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
  const letters = async () => {
    await deadLetters.close()
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { messageId: string; reason: string; attempts: number; status: number })
  }
  return { pipeline, calls, stats, letters }
}

const ok: Script = (events) => events.map(() => ({ kind: 'delivered', status: 201, listId: 1, resourceId: 'r' }))

describe('Pipeline', () => {
  it('sends a full batch at once and a partial one after the flush interval', async () => {
    const { pipeline, calls, stats } = setup(ok)
    for (let i = 1; i <= 4; i++) pipeline.accept(event(i))
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).toEqual([['m1', 'm2', 'm3']])
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1', 'm2', 'm3'], ['m4']])
    expect(stats.totals.delivered).toBe(4)
    expect(Object.fromEntries(stats.imports)).toEqual({ '1': new Set(['r']) })
  })

  it('waits for the flush interval before sending a partial batch', async () => {
    const { pipeline, calls } = setup(ok, { flushIntervalMs: 30 })
    pipeline.accept(event(1))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(calls).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(calls).toEqual([['m1']])
  })

  it('sends events one by one for a mapping without batching', async () => {
    const { pipeline, calls } = setup(ok, {}, [subscription({ batching: false })])
    for (let i = 1; i <= 3; i++) pipeline.accept(event(i))
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1'], ['m2'], ['m3']])
  })

  it('counts events that match no subscription and queues nothing for them', async () => {
    const { pipeline, stats } = setup(ok)
    expect(pipeline.accept(event(1, 'identify'))).toBe(0)
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
    for (let i = 1; i <= 6; i++) pipeline.accept(event(i))
    await pipeline.drain(1000)
    expect(calls).toEqual([['m1', 'm2', 'm3'], ['m2', 'm4', 'm5'], ['m6']])
    expect(stats.totals).toEqual({ delivered: 6, refused: 0, retried: 1, deadLettered: 0 })
  })

  it('dead-letters refused events with their reason, and retryable ones after the last attempt', async () => {
    const script: Script = (events) =>
      events.map((e) =>
        e.messageId === 'm1'
          ? { kind: 'refused', status: 400, reason: 'bad key', errortype: 'PAYLOAD_VALIDATION_FAILED' }
          : { kind: 'retryable', status: 429, reason: 'slow down' }
      )
    const { pipeline, calls, stats, letters } = setup(script)
    pipeline.accept(event(1))
    pipeline.accept(event(2))
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
    for (let i = 1; i <= 3; i++) pipeline.accept(event(i))
    expect(pipeline.hasCapacity()).toBe(false)
    // The full batch is in flight; its events leave the queue when it settles.
    await pipeline.waitForDepthBelow(1)
    expect(pipeline.hasCapacity(3)).toBe(true)
  })

  it('dead-letters what it could not deliver before the shutdown deadline', async () => {
    const { pipeline, letters, stats } = setup((events) => events.map(() => ({ kind: 'retryable', status: 503 })), {
      retryBaseMs: 10_000,
      retryMaxMs: 10_000
    })
    pipeline.accept(event(1))
    await pipeline.drain(50)
    const [letter] = await letters()
    expect(letter).toMatchObject({ messageId: 'm1', reason: expect.stringContaining('not delivered before shutdown') })
    expect(stats.totals.deadLettered).toBe(1)
    expect(pipeline.depth).toBe(0)
  })

  it('refuses new events once it is draining', async () => {
    const { pipeline } = setup(ok)
    await pipeline.drain(100)
    expect(() => pipeline.accept(event(1))).toThrow('shutting down')
  })
})
