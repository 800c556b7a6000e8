import type { SegmentEvent } from '@segment/actions-core'
import type { Logger } from 'pino'
import type { DeadLetterFile } from './dead-letters'
import type { Deliverer, Outcome } from './delivery'
import type { RuntimeStats } from './stats'
import type { CompiledSubscription } from './subscriptions'

export interface PipelineOptions {
  maxQueue: number
  concurrency: number
  flushIntervalMs: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
}

interface Item {
  event: SegmentEvent
  attempts: number
}

/** One subscription's queue. It has at most one delivery in flight, so its events reach Listrak in order. */
interface Lane {
  subscription: CompiledSubscription
  items: Item[]
  busy: boolean
  /** Retried events wait at the head of the queue for their backoff, holding back later events. */
  heldUntilRetry: boolean
  retryTimer?: NodeJS.Timeout
  flushTimer?: NodeJS.Timeout
  /** The flush interval has passed: a partial batch may go. */
  due: boolean
}

/**
 * Takes accepted events, queues them per matching subscription, delivers them in batches or one by one, and
 * settles every event exactly once: delivered, or written to the dead-letter file with the reason.
 */
export class Pipeline {
  private readonly lanes: Lane[]
  private active = 0
  private queued = 0
  private draining = false
  private stopped = false
  private next = 0
  private waiters: { test: () => boolean; resolve: () => void }[] = []

  constructor(
    subscriptions: CompiledSubscription[],
    private readonly deliverer: Deliverer,
    private readonly deadLetters: DeadLetterFile,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly options: PipelineOptions,
    private readonly random: () => number = Math.random
  ) {
    this.lanes = subscriptions.map((subscription) => ({
      subscription,
      items: [],
      busy: false,
      heldUntilRetry: false,
      due: false
    }))
  }

  /** Events waiting, in flight or waiting to be retried. */
  get depth(): number {
    return this.queued
  }

  hasCapacity(events = 1): boolean {
    return this.queued + events <= this.options.maxQueue
  }

  /** Resolves once fewer than `depth` events are queued: how a producer that can wait (replay) is held back. */
  waitForDepthBelow(depth: number): Promise<void> {
    return this.until(() => this.queued < depth)
  }

  /** Queues an accepted event for each enabled subscription it matches; returns how many matched. */
  accept(event: SegmentEvent): number {
    if (this.draining) throw new Error('The pipeline is shutting down and takes no more events.')
    this.stats.accepted++
    let matched = 0
    for (const lane of this.lanes) {
      if (!lane.subscription.matches(event)) continue
      matched++
      this.stats.matched++
      this.stats.subscription(lane.subscription.name).matched++
      lane.items.push({ event, attempts: 0 })
      this.queued++
      this.arm(lane)
    }
    if (matched === 0) this.stats.unmatched++
    this.pump()
    return matched
  }

  /**
   * Stops taking events, sends everything queued without waiting for flush intervals, and waits until every
   * event is settled. What is still undelivered after `timeoutMs` is dead-lettered, so nothing goes unrecorded.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true
    for (const lane of this.lanes) clearTimeout(lane.flushTimer)
    this.pump()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([this.until(() => this.queued === 0), timedOut])
    clearTimeout(timer)
    if (this.queued === 0) return
    this.stopped = true
    for (const lane of this.lanes) {
      clearTimeout(lane.retryTimer)
      for (const item of lane.items.splice(0)) {
        const outcome: Outcome = { kind: 'retryable', status: 503, reason: 'not delivered before shutdown' }
        this.deadLetter(lane, item, outcome, item.attempts)
      }
    }
    await this.until(() => this.active === 0)
  }

  private arm(lane: Lane): void {
    const { batching, batchSize } = lane.subscription
    if (!batching || lane.items.length >= batchSize || lane.flushTimer || this.draining) return
    lane.flushTimer = setTimeout(() => {
      lane.flushTimer = undefined
      lane.due = true
      this.pump()
    }, this.options.flushIntervalMs)
  }

  private ready(lane: Lane): boolean {
    if (lane.busy || lane.heldUntilRetry || lane.items.length === 0) return false
    const { batching, batchSize } = lane.subscription
    return this.draining || !batching || lane.due || lane.items.length >= batchSize
  }

  /** Starts deliveries while there are free slots and lanes ready, taking lanes in turn. */
  private pump(): void {
    while (this.active < this.options.concurrency) {
      const index = this.lanes.findIndex((_, i) => this.ready(this.lanes[(this.next + i) % this.lanes.length]))
      if (index < 0) return
      const lane = this.lanes[(this.next + index) % this.lanes.length]
      this.next = (this.next + index + 1) % this.lanes.length
      this.start(lane)
    }
  }

  private start(lane: Lane): void {
    const { subscription } = lane
    const batch = lane.items.splice(0, subscription.batching ? subscription.batchSize : 1)
    lane.due = false
    clearTimeout(lane.flushTimer)
    lane.flushTimer = undefined
    if (lane.items.length > 0) this.arm(lane)
    lane.busy = true
    this.active++
    const startedAt = performance.now()
    this.deliverer
      .deliver(
        subscription,
        batch.map((item) => item.event)
      )
      .catch((error: Error): Outcome[] => batch.map(() => ({ kind: 'retryable', status: 500, reason: error.message })))
      .then((outcomes) => this.settle(lane, batch, outcomes, performance.now() - startedAt))
      .finally(() => {
        lane.busy = false
        this.active--
        this.pump()
        this.wake()
      })
  }

  private settle(lane: Lane, batch: Item[], outcomes: Outcome[], durationMs: number): void {
    const name = lane.subscription.name
    const retry: Item[] = []
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      const attempts = item.attempts + 1
      if (outcome.kind === 'delivered') {
        this.stats.count('delivered', name, outcome.listId)
        if (outcome.listId !== undefined && outcome.resourceId) {
          this.stats.importAccepted(outcome.listId, outcome.resourceId)
        }
        this.queued--
      } else if (outcome.kind === 'retryable' && attempts < this.options.maxAttempts && !this.stopped) {
        this.stats.count('retried', name, outcome.listId)
        retry.push({ event: item.event, attempts })
      } else {
        if (outcome.kind === 'refused') this.stats.count('refused', name, outcome.listId)
        this.deadLetter(lane, item, outcome, attempts)
      }
    })
    this.logDelivery(lane, outcomes, durationMs, batch[0]?.attempts ?? 0)
    if (retry.length === 0) return
    lane.items.unshift(...retry)
    lane.heldUntilRetry = true
    const attempt = Math.max(...retry.map((item) => item.attempts))
    // Exponential backoff with jitter: half the step is fixed, half random, so retries do not stampede.
    const step = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1))
    lane.retryTimer = setTimeout(
      () => {
        lane.heldUntilRetry = false
        lane.due = true
        this.pump()
      },
      step / 2 + (this.random() * step) / 2
    )
  }

  private deadLetter(lane: Lane, item: Item, outcome: Outcome, attempts: number): void {
    const reason =
      outcome.kind === 'refused'
        ? (outcome.reason ?? `refused with status ${outcome.status}`)
        : `gave up after ${attempts} attempt(s): ${outcome.reason ?? `status ${outcome.status}`}`
    this.deadLetters.write({
      subscription: lane.subscription.name,
      status: outcome.status,
      reason,
      attempts,
      event: item.event
    })
    this.stats.count('deadLettered', lane.subscription.name, outcome.listId)
    this.stats.reason(`${outcome.status} ${outcome.errortype ?? ''}`.trim(), reason)
    this.queued--
  }

  /** One log line per list the delivery touched: events, statuses and duration; never settings or tokens. */
  private logDelivery(lane: Lane, outcomes: Outcome[], durationMs: number, previousAttempts: number): void {
    const byList = new Map<string, Record<number, number>>()
    for (const outcome of outcomes) {
      const list = outcome.listId === undefined ? 'none' : String(outcome.listId)
      const statuses = byList.get(list) ?? {}
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1
      byList.set(list, statuses)
    }
    for (const [listId, statuses] of byList) {
      const events = Object.values(statuses).reduce((a, b) => a + b, 0)
      this.logger.info(
        {
          subscription: lane.subscription.name,
          listId,
          events,
          statuses,
          attempt: previousAttempts + 1,
          durationMs: Math.round(durationMs)
        },
        'delivery'
      )
    }
  }

  private until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ test, resolve }))
  }

  private wake(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test()) return true
      waiter.resolve()
      return false
    })
  }
}
