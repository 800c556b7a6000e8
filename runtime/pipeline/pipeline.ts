import type { SegmentEvent } from '@segment/actions-core'
import type { Logger } from 'pino'
import { EventQueue, megabytes, QueueFullError, ShuttingDownError, StoreWriteError } from '../queue'
import type { FollowUpInput } from '../queue/follow-ups'
import type { RuntimeStats } from '../stats'
import type { Deliverer, Outcome } from './delivery'
import { countStoreFailure } from './accounting'
import { newLane } from './lane'
import { RefusalLog } from './refusal-log'
import { LaneScheduler } from './scheduler'
import { Settler } from './settler'
import { PipelineState } from './state'
import type { CompiledSubscription } from './subscriptions'
import { Pauses, Waiters } from './waits'
import { WriteHealth } from './write-health'

export interface PipelineOptions {
  maxQueue: number
  concurrency: number
  flushIntervalMs: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  /** With a shared queue: how often lanes read it for events other processes stored. */
  pollMs?: number
  /** Told of the list imports a stored settlement recorded for follow-up (see runtime/imports/). */
  onFollowUps?: (subscription: string, followUps: FollowUpInput[]) => void
}

const DEFAULT_POLL_MS = 200

export interface DrainResult {
  /** Events still unsettled: in the store for the next start (durable queue) or lost (in memory, unwritable). */
  left: number
  /** The drain was cut short by `interrupt()`. */
  interrupted: boolean
}

/**
 * Takes accepted events into the queue per matching subscription, delivers them in batches or one by one, and
 * settles every event once: delivered, or stored as a dead letter with the reason. An event is acknowledged only
 * once the queue has stored it, and leaves the queue only once its outcome is stored.
 */
export class Pipeline {
  private readonly state = new PipelineState()
  private readonly scheduler: LaneScheduler
  /** Pairs being stored by `accept`; they count against the bound already. */
  private pending = 0
  /** Settles once the last accepted event is taken into its lanes. */
  private takeTail: Promise<void> = Promise.resolve()
  private readonly waiters = new Waiters()
  private readonly pauses = new Pauses()
  private interruption?: () => void
  private readonly interrupted = new Promise<void>((resolve) => (this.interruption = resolve))
  /**
   * The queue is shared with other processes: an event accepted here may be in a partition another process
   * delivers, and events they accepted may be this one's to deliver. Lanes then get their events only by reading
   * the queue, `queued` counts what this process has read and not settled, and ingest is bounded by the queue's
   * bytes (over every process) rather than by what this one holds.
   */
  private readonly shared: boolean
  private pollTimer?: NodeJS.Timeout
  private readonly refusals: RefusalLog
  private readonly writes = new WriteHealth()
  private readonly settler: Settler

  constructor(
    subscriptions: CompiledSubscription[],
    deliverer: Deliverer,
    private readonly queue: EventQueue,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly options: PipelineOptions,
    random: () => number = Math.random
  ) {
    this.shared = queue.shared === true
    this.refusals = new RefusalLog(logger)
    const lanes = subscriptions.map((subscription) =>
      // Events an earlier run left in the store come before any accepted now: they are read from the store first.
      // A shared queue may hold events for any lane at any time: it is read before anything is sent.
      newLane(subscription, this.shared || queue.resumable.has(subscription.name))
    )
    this.settler = new Settler(
      deliverer,
      queue,
      stats,
      logger,
      options,
      random,
      this.refusals,
      this.writes,
      this.pauses,
      this.state,
      () => this.scheduler.pump()
    )
    this.scheduler = new LaneScheduler(
      lanes,
      queue,
      this.settler,
      this.state,
      options,
      this.shared,
      stats,
      logger,
      this.waiters,
      this.pauses
    )
    // What a shared queue holds is every process's to deliver: counted here only once read.
    if (!this.shared)
      for (const lane of this.scheduler.lanes) this.state.queued += queue.resumable.get(lane.subscription.name) ?? 0
  }

  /** Events waiting, in flight, waiting to be retried, or being stored. */
  get depth(): number {
    return this.state.queued + this.pending
  }

  hasCapacity(events = 1): boolean {
    return this.depth + events <= this.options.maxQueue && this.queue.hasRoom(0)
  }

  /**
   * Why the pipeline cannot take events now, for a readiness probe: its queue cannot be reached or is full, or its
   * last write failed; undefined when it can. Waits on nothing: probes come often. (A stopping runtime closes its
   * HTTP server first, so a probe never finds it draining.)
   */
  notReady(): string | undefined {
    const unavailable = this.queue.unavailable?.()
    if (unavailable) return unavailable
    if (this.depth >= this.options.maxQueue) {
      return `the delivery queue is full (${this.depth} events; delivery.maxQueue is ${this.options.maxQueue})`
    }
    if (!this.queue.hasRoom(0)) {
      return `the queue store is full (${megabytes(this.queue.bytes())} in ${this.queue.location}; queue.maxBytes)`
    }
    return this.writes.problem()
  }

  /** Resolves once fewer than `depth` events are queued: how a producer that can wait (replay) is held back. */
  waitForDepthBelow(depth: number): Promise<void> {
    return this.waiters.until(() => this.depth < depth)
  }

  /**
   * Starts delivering, beginning with what the queue held when it was opened, in order per subscription. Events
   * queued for a subscription that is no longer in the config (or is disabled) become dead letters, so they are
   * accounted for and `dead-letters retry` can bring them back. Returns how many events it resumes.
   */
  async resume(): Promise<number> {
    if (this.state.started) return 0
    this.state.started = true
    let resumed = 0
    for (const [name, count] of this.queue.resumable) {
      if (this.scheduler.lanes.some((lane) => lane.subscription.name === name)) resumed += count
      else if (this.shared) {
        // Another runtime sharing the queue may have the subscription in its config (a rollout under way): its
        // events are left to it, not dead-lettered from under it.
        this.logger.warn(
          { subscription: name, events: count, store: this.queue.location },
          'events queued for a subscription that is not in this config, or is disabled: left in the shared queue'
        )
      } else
        await this.settler
          .deadLetterOrphans(name)
          .catch((error: Error) => countStoreFailure(this.stats, this.logger, error, name))
    }
    this.stats.resumed += resumed
    if (resumed > 0) this.logger.info({ events: resumed, store: this.queue.location }, 'resuming queued events')
    if (this.shared) {
      this.pollTimer = setInterval(() => this.poll(), this.options.pollMs ?? DEFAULT_POLL_MS)
      // Only reads for the lanes: it must not keep a process alive that has nothing else to do.
      this.pollTimer.unref()
    }
    this.scheduler.pump()
    return resumed
  }

  /** Shared queue: other processes may have stored events for every lane since the last read. */
  private poll(): void {
    if (this.state.draining) return
    for (const lane of this.scheduler.lanes) lane.spilled = true
    this.scheduler.pump()
  }

  /**
   * Queues an event for each enabled subscription it matches and resolves, with how many matched, once the queue
   * has stored it. An event whose messageId the queue saw within the dedup window resolves 0 and is not queued
   * again (`dedup: false` turns that off, for replays). Rejects with a `QueueUnavailableError` (503 and
   * Retry-After for a client): the queue is full, the runtime is shutting down, or the store could not write;
   * the event was not taken then. Events are taken in the order of the calls.
   */
  async accept(event: SegmentEvent, options: { dedup?: boolean } = {}): Promise<number> {
    const [matched] = await this.acceptAll([event], options)
    return matched
  }

  /**
   * `accept` for many events at once, all or nothing: they are stored in one commit (with a durable queue, one
   * sync for the lot, where awaiting `accept` event by event costs one each), or none is and it rejects as
   * `accept` does. Resolves with how many subscriptions each event matched (0 for a duplicate).
   */
  async acceptAll(events: SegmentEvent[], options: { dedup?: boolean } = {}): Promise<number[]> {
    if (this.state.draining) throw new ShuttingDownError()
    const matched = events.map((event) => this.scheduler.lanes.filter((lane) => lane.subscription.matches(event)))
    const pairs = matched.reduce((sum, lanes) => sum + lanes.length, 0)
    if (this.depth + pairs > this.options.maxQueue) {
      throw new QueueFullError(
        `The delivery queue is full (${this.depth} events; delivery.maxQueue is ${this.options.maxQueue}).`
      )
    }
    if (this.shared) {
      // What this process holds says little of a shared queue: its bytes, over every process, bound ingest.
      const bytes = events.reduce((sum, event, i) => sum + JSON.stringify(event).length * matched[i].length, 0)
      if (!this.queue.hasRoom(bytes)) {
        throw new QueueFullError(
          `The shared queue is full (${this.queue.location}: about ${this.queue.bytes()} bytes in use).`
        )
      }
    }
    const items = events.flatMap((event, i) =>
      matched[i].length > 0 ? [{ event, subscriptions: matched[i].map((lane) => lane.subscription.name) }] : []
    )
    this.pending += pairs
    const stored = items.length > 0 ? this.queue.enqueue(items, { dedup: options.dedup ?? true }) : Promise.resolve([])
    // Rejections are handled below, after the events ahead of these are taken.
    stored.catch(() => undefined)
    // Events are taken into the lanes in the order of the calls, which is the order of their positions: a store
    // may resolve a later commit first, and a lane's window must never hold a later event before an earlier one.
    const ahead = this.takeTail
    let taken!: () => void
    this.takeTail = new Promise((resolve) => (taken = resolve))
    try {
      await ahead
      let enqueued
      try {
        enqueued = await stored
        if (items.length > 0) this.writes.succeeded()
      } catch (error) {
        if (error instanceof StoreWriteError) {
          this.writes.failed(error)
          this.stats.storeErrors++
          this.logger.error(
            { err: error.message, events: events.length },
            'events not stored; the client is told to retry'
          )
        }
        throw error
      } finally {
        this.pending -= pairs
        this.waiters.wake()
      }
      let next = 0
      const counts = matched.map((lanes, i) => {
        this.stats.accepted++
        if (lanes.length === 0) {
          this.stats.unmatched++
          return 0
        }
        const result = enqueued[next++]
        if (result.duplicate) {
          this.stats.accepted--
          this.stats.duplicates++
          return 0
        }
        for (const lane of lanes) {
          this.stats.matched++
          this.stats.subscription(lane.subscription.name).matched++
          if (this.shared) {
            // Its partition may be another process's: the lane reads it from the queue if it is this one's.
            lane.spilled = true
            if (lane.loading) lane.enqueuedWhileLoading = true
            continue
          }
          this.state.queued++
          this.scheduler.take(lane, { position: result.position, event: events[i], attempts: 0 })
        }
        return lanes.length
      })
      this.scheduler.pump()
      return counts
    } finally {
      taken()
    }
  }

  /**
   * Stops taking events, sends everything queued without waiting for flush intervals, and waits until every
   * event is settled, for at most `timeoutMs` or until `interrupt()`. Then, with a durable queue, what is left
   * stays in the store for the next start; in memory it is dead-lettered, so nothing goes unrecorded.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    try {
      return await this.settleAll(timeoutMs)
    } finally {
      this.refusals.flush()
    }
  }

  private async settleAll(timeoutMs: number): Promise<DrainResult> {
    this.state.draining = true
    // A shared queue: what this process has read is delivered, and its partitions are read until an empty page;
    // what others store meanwhile is theirs to deliver (the queue hands the partitions over when closed).
    clearInterval(this.pollTimer)
    if (!this.state.started && this.queue.durable) {
      // Never started (a failed start): what the store holds waits for the next start, untouched.
      this.state.stopped = this.state.finished = true
      return { left: this.state.queued, interrupted: false }
    }
    this.state.started = true
    for (const lane of this.scheduler.lanes) clearTimeout(lane.flushTimer)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    let interrupted = false
    const interruption = this.interrupted.then(() => (interrupted = true))
    // Events accepted just before are still being stored: the last batches are cut once they are in the lanes.
    await Promise.race([this.takeTail, timedOut, interruption])
    this.state.flushing = true
    this.scheduler.pump()
    await Promise.race([
      this.waiters.until(() => this.depth === 0 && !this.scheduler.reading()),
      timedOut,
      interruption
    ])
    clearTimeout(timer)
    if (this.depth === 0 && !this.scheduler.reading()) {
      // Nothing read after this: the queue is closed next.
      if (this.shared) this.state.stopped = this.state.finished = true
      return { left: 0, interrupted }
    }
    this.state.stopped = true
    for (const lane of this.scheduler.lanes) clearTimeout(lane.retryTimer)
    this.pauses.end()
    if (this.queue.durable) {
      this.state.finished = true
      return { left: this.state.queued, interrupted }
    }
    await this.deadLetterRemaining('not delivered before shutdown', false)
    if (!interrupted) {
      await Promise.race([this.waiters.until(() => this.scheduler.active === 0), interruption])
    }
    if (interrupted) await this.deadLetterRemaining('in flight at shutdown: it may have reached Listrak', true)
    this.state.finished = true
    if (this.state.queued > 0) {
      this.stats.lost += this.state.queued
      this.logger.error(
        { events: this.state.queued },
        'events lost: the in-memory queue could not settle them before exit'
      )
    }
    return { left: this.state.queued, interrupted }
  }

  /** Cuts a drain short (a second signal): it returns at once, with what is left as `drain` says. */
  interrupt(): void {
    this.interruption?.()
  }

  /** In memory only: dead-letters what is queued (and what is in flight, with `inFlight`). */
  private async deadLetterRemaining(reason: string, inFlight: boolean): Promise<void> {
    const outcome: Outcome = { kind: 'retryable', status: 503, reason }
    for (const lane of this.scheduler.lanes) {
      const held = [...(inFlight ? lane.inFlight.splice(0) : []), ...lane.items.splice(0)]
      while (lane.spilled) {
        const page = await this.queue.read(lane.subscription.name, lane.cursor, 10_000)
        held.push(...page)
        if (page.length > 0) lane.cursor = page[page.length - 1].position
        else lane.spilled = false
      }
      if (held.length === 0) continue
      const settlement = this.settler.settlementOf(
        lane,
        held,
        held.map(() => outcome)
      )
      try {
        await this.queue.settle(settlement)
        this.settler.counted(lane, settlement, new Map(held.map((item) => [item.position, outcome])))
      } catch (error) {
        this.stats.storeErrors++
        this.stats.lost += held.length
        this.state.queued -= held.length
        this.logger.error(
          { subscription: lane.subscription.name, events: held.length, err: (error as Error).message },
          'events lost: the in-memory queue could not write them as dead letters'
        )
      }
    }
  }
}
