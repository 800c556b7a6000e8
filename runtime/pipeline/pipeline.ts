import type { SegmentEvent } from '@segment/actions-core'
import type { Logger } from 'pino'
import { OUTCOME_UNKNOWN, OUTCOME_UNKNOWN_STATUS } from '../../src/sendTransactionalMessage/outcome'
import { concurrencyOf } from '../../src/mapping/fields'
import { RUNTIME_ACTIONS } from './actions'
import { mappedListId } from './delivery'
import type { Deliverer, Outcome } from './delivery'
import {
  EventQueue,
  megabytes,
  QueuedEvent,
  QueueFullError,
  Settlement,
  ShuttingDownError,
  StoreWriteError
} from '../queue'
import { RefusalLog } from './refusal-log'
import type { RuntimeStats } from '../stats'
import type { CompiledSubscription } from './subscriptions'
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
}

/** Events of a subscription kept in memory at least; the rest waits in the store and is read a page at a time. */
const MIN_WINDOW = 64
/** Backoff between tries to record a delivery's outcome in a store that fails to write. */
const RECORD_RETRY_BASE_MS = 100
const RECORD_RETRY_MAX_MS = 5000
const DEFAULT_POLL_MS = 200

/**
 * An at-most-once event found recorded as being sent: the runtime that sent it stopped (a crash, a drain cut short)
 * or lost its partition before Listrak's answer was stored, so nobody knows whether it went.
 */
const INTERRUPTED_REASON =
  'The runtime stopped (or another runtime took over) while this event was being sent, before its outcome was ' +
  "stored: the message may or may not have been sent. Check the transactional message's activity in Listrak " +
  '(dead-letters reconcile does) before sending it again; this event is not retried, so that no one gets the ' +
  'message twice.'

/** An at-most-once event's attempts, stored negated while a delivery of it is under way (see `send`). */
const attemptsMade = (item: QueuedEvent) => Math.abs(item.attempts)
const runtimeAction = (lane: Lane) => RUNTIME_ACTIONS[lane.subscription.partnerAction]
const wasInterrupted = (lane: Lane, item: QueuedEvent) => runtimeAction(lane).atMostOnce && item.attempts < 0

/** One subscription's queue. It has at most one delivery in flight, so its events reach Listrak in order. */
interface Lane {
  subscription: CompiledSubscription
  /** The head of the subscription's queue, in order. */
  items: QueuedEvent[]
  /** The batch being delivered. */
  inFlight: QueuedEvent[]
  /** The last position read into memory; what comes after it is read from the store. */
  cursor: number
  /** Events past `cursor` wait in the store. */
  spilled: boolean
  loading: boolean
  /** An event was enqueued while a page was being read, so the page may have missed it. */
  enqueuedWhileLoading: boolean
  busy: boolean
  /** Retried events wait at the head of the queue for their backoff, holding back later events. */
  heldUntilRetry: boolean
  retryTimer?: NodeJS.Timeout
  flushTimer?: NodeJS.Timeout
  /** The flush interval has passed: a partial batch may go. */
  due: boolean
}

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
  private readonly lanes: Lane[]
  private active = 0
  /** Unsettled (event, subscription) pairs: in memory, in flight, or in the store. */
  private queued = 0
  /** Pairs being stored by `accept`; they count against the bound already. */
  private pending = 0
  /** Deliveries wait for `resume()`, so that a start that fails (the config check, the port) delivers nothing. */
  private started = false
  private draining = false
  /** Partial batches go at once: the drain has begun. */
  private flushing = false
  /** Past the shutdown deadline: no more deliveries or retries. */
  private stopped = false
  /** Nothing more is recorded: the queue is being closed. */
  private finished = false
  private next = 0
  /** Settles once the last accepted event is taken into its lanes. */
  private takeTail: Promise<void> = Promise.resolve()
  private waiters: { test: () => boolean; resolve: () => void }[] = []
  private readonly pauses = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
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

  constructor(
    subscriptions: CompiledSubscription[],
    private readonly deliverer: Deliverer,
    private readonly queue: EventQueue,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly options: PipelineOptions,
    private readonly random: () => number = Math.random
  ) {
    this.shared = queue.shared === true
    this.refusals = new RefusalLog(logger)
    this.lanes = subscriptions.map((subscription) => ({
      subscription,
      items: [],
      inFlight: [],
      cursor: -1,
      // Events an earlier run left in the store come before any accepted now: they are read from the store first.
      // A shared queue may hold events for any lane at any time: it is read before anything is sent.
      spilled: this.shared || queue.resumable.has(subscription.name),
      loading: false,
      enqueuedWhileLoading: false,
      busy: false,
      heldUntilRetry: false,
      due: false
    }))
    // What a shared queue holds is every process's to deliver: counted here only once read.
    if (!this.shared) for (const lane of this.lanes) this.queued += queue.resumable.get(lane.subscription.name) ?? 0
  }

  /** Events waiting, in flight, waiting to be retried, or being stored. */
  get depth(): number {
    return this.queued + this.pending
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
    return this.until(() => this.depth < depth)
  }

  /**
   * Starts delivering, beginning with what the queue held when it was opened, in order per subscription. Events
   * queued for a subscription that is no longer in the config (or is disabled) become dead letters, so they are
   * accounted for and `dead-letters retry` can bring them back. Returns how many events it resumes.
   */
  async resume(): Promise<number> {
    if (this.started) return 0
    this.started = true
    let resumed = 0
    for (const [name, count] of this.queue.resumable) {
      if (this.lanes.some((lane) => lane.subscription.name === name)) resumed += count
      else if (this.shared) {
        // Another runtime sharing the queue may have the subscription in its config (a rollout under way): its
        // events are left to it, not dead-lettered from under it.
        this.logger.warn(
          { subscription: name, events: count, store: this.queue.location },
          'events queued for a subscription that is not in this config, or is disabled: left in the shared queue'
        )
      } else await this.deadLetterOrphans(name).catch((error: Error) => this.storeFailed(error, name))
    }
    this.stats.resumed += resumed
    if (resumed > 0) this.logger.info({ events: resumed, store: this.queue.location }, 'resuming queued events')
    if (this.shared) {
      this.pollTimer = setInterval(() => this.poll(), this.options.pollMs ?? DEFAULT_POLL_MS)
      // Only reads for the lanes: it must not keep a process alive that has nothing else to do.
      this.pollTimer.unref()
    }
    this.pump()
    return resumed
  }

  /** Shared queue: other processes may have stored events for every lane since the last read. */
  private poll(): void {
    if (this.draining) return
    for (const lane of this.lanes) lane.spilled = true
    this.pump()
  }

  /** Counts and logs a store failure that leaves events where they are, for a later try. */
  private storeFailed(error: Error, subscription: string): void {
    this.stats.storeErrors++
    this.logger.error({ subscription, err: error.message }, 'the queue store failed; the events stay queued')
  }

  private async deadLetterOrphans(subscription: string): Promise<void> {
    const reason = `subscription "${subscription}" is not in the config, or is disabled`
    for (let after = -1; ;) {
      const page = await this.queue.read(subscription, after, 1000)
      if (page.length === 0) return
      after = page[page.length - 1].position
      const letter = (queued: QueuedEvent) => ({
        subscription,
        status: 0,
        reason,
        attempts: attemptsMade(queued),
        event: queued.event
      })
      await this.queue.settle({
        subscription,
        delivered: [],
        retried: [],
        deadLettered: page.map((queued) => ({ position: queued.position, letter: letter(queued) }))
      })
      this.stats.count('deadLettered', subscription, undefined, page.length)
      this.stats.reason('0 not sent', reason, page.length)
      this.logger.warn({ subscription, events: page.length }, reason)
    }
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
    if (this.draining) throw new ShuttingDownError()
    const matched = events.map((event) => this.lanes.filter((lane) => lane.subscription.matches(event)))
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
        this.wake()
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
          this.queued++
          this.take(lane, { position: result.position, event: events[i], attempts: 0 })
        }
        return lanes.length
      })
      this.pump()
      return counts
    } finally {
      taken()
    }
  }

  /** Takes a stored event into the lane's window, or leaves it in the store when the window is full. */
  private take(lane: Lane, queued: QueuedEvent): void {
    // A page read from the store since it was stored has it already: the store commits in position order, so a
    // page that reached past it held it.
    if (queued.position <= lane.cursor) return
    if (lane.spilled || lane.loading || lane.items.length >= this.window(lane)) {
      lane.spilled = true
      if (lane.loading) lane.enqueuedWhileLoading = true
      return
    }
    lane.items.push(queued)
    lane.cursor = Math.max(lane.cursor, queued.position)
    this.arm(lane)
  }

  /**
   * Events per delivery. An at-most-once lane sends no more at once than its mapping has requests in flight, so that
   * what a crash (or a drain cut short) leaves as being sent, and so of unknown outcome, is what was really on its
   * way: not a whole batch of a thousand of which most had not left yet.
   */
  private batchOf(lane: Lane): number {
    const { batching, batchSize, mapping } = lane.subscription
    if (!batching) return 1
    if (!runtimeAction(lane).atMostOnce) return batchSize
    return Math.min(batchSize, concurrencyOf(mapping.max_concurrent_requests))
  }

  private window(lane: Lane): number {
    return Math.max(MIN_WINDOW, 2 * this.batchOf(lane))
  }

  /** Reads the next page of a lane's events from the store once its window runs low. */
  private refill(lane: Lane): void {
    if (!lane.spilled || lane.loading || this.stopped) return
    const room = this.window(lane) - lane.items.length
    if (room < this.window(lane) / 2) return
    lane.loading = true
    lane.enqueuedWhileLoading = false
    this.queue.read(lane.subscription.name, lane.cursor, room).then(
      (page) => {
        lane.loading = false
        for (const queued of page) {
          if (queued.position <= lane.cursor) continue
          lane.items.push(queued)
          lane.cursor = queued.position
          if (this.shared) this.queued++
        }
        // A short page: the lane has what there is, and a partial batch may go when due. A shared queue bounds
        // each read in rounds over its partitions, so a short page may leave events behind: only an empty page
        // says its partitions hold nothing now (else a drain, which no longer polls, would stop short of them).
        const exhausted = this.shared ? page.length === 0 : page.length < room
        if (exhausted && !lane.enqueuedWhileLoading) lane.spilled = false
        if (lane.items.length > 0) this.arm(lane)
        this.pump()
        this.wake()
      },
      (error: Error) => {
        this.storeFailed(error, lane.subscription.name)
        void this.pause(RECORD_RETRY_MAX_MS).then(() => {
          lane.loading = false
          this.pump()
        })
      }
    )
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
    this.draining = true
    // A shared queue: what this process has read is delivered, and its partitions are read until an empty page;
    // what others store meanwhile is theirs to deliver (the queue hands the partitions over when closed).
    clearInterval(this.pollTimer)
    if (!this.started && this.queue.durable) {
      // Never started (a failed start): what the store holds waits for the next start, untouched.
      this.stopped = this.finished = true
      return { left: this.queued, interrupted: false }
    }
    this.started = true
    for (const lane of this.lanes) clearTimeout(lane.flushTimer)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    let interrupted = false
    const interruption = this.interrupted.then(() => (interrupted = true))
    // Events accepted just before are still being stored: the last batches are cut once they are in the lanes.
    await Promise.race([this.takeTail, timedOut, interruption])
    this.flushing = true
    this.pump()
    await Promise.race([this.until(() => this.depth === 0 && !this.reading()), timedOut, interruption])
    clearTimeout(timer)
    if (this.depth === 0 && !this.reading()) {
      // Nothing read after this: the queue is closed next.
      if (this.shared) this.stopped = this.finished = true
      return { left: 0, interrupted }
    }
    this.stopped = true
    for (const lane of this.lanes) clearTimeout(lane.retryTimer)
    this.endPauses()
    if (this.queue.durable) {
      this.finished = true
      return { left: this.queued, interrupted }
    }
    await this.deadLetterRemaining('not delivered before shutdown', false)
    if (!interrupted) {
      await Promise.race([this.until(() => this.active === 0), interruption])
    }
    if (interrupted) await this.deadLetterRemaining('in flight at shutdown: it may have reached Listrak', true)
    this.finished = true
    if (this.queued > 0) {
      this.stats.lost += this.queued
      this.logger.error({ events: this.queued }, 'events lost: the in-memory queue could not settle them before exit')
    }
    return { left: this.queued, interrupted }
  }

  /** A shared queue's lanes are still reading (or to read) their partitions; other queues have nothing to add. */
  private reading(): boolean {
    return this.shared && this.lanes.some((lane) => lane.loading || lane.spilled)
  }

  /** Cuts a drain short (a second signal): it returns at once, with what is left as `drain` says. */
  interrupt(): void {
    this.interruption?.()
  }

  /** In memory only: dead-letters what is queued (and what is in flight, with `inFlight`). */
  private async deadLetterRemaining(reason: string, inFlight: boolean): Promise<void> {
    const outcome: Outcome = { kind: 'retryable', status: 503, reason }
    for (const lane of this.lanes) {
      const held = [...(inFlight ? lane.inFlight.splice(0) : []), ...lane.items.splice(0)]
      while (lane.spilled) {
        const page = await this.queue.read(lane.subscription.name, lane.cursor, 10_000)
        held.push(...page)
        if (page.length > 0) lane.cursor = page[page.length - 1].position
        else lane.spilled = false
      }
      if (held.length === 0) continue
      const settlement = this.settlementOf(
        lane,
        held,
        held.map(() => outcome)
      )
      try {
        await this.queue.settle(settlement)
        this.counted(lane, settlement, new Map(held.map((item) => [item.position, outcome])))
      } catch (error) {
        this.stats.storeErrors++
        this.stats.lost += held.length
        this.queued -= held.length
        this.logger.error(
          { subscription: lane.subscription.name, events: held.length, err: (error as Error).message },
          'events lost: the in-memory queue could not write them as dead letters'
        )
      }
    }
  }

  private arm(lane: Lane): void {
    if (!lane.subscription.batching || lane.items.length >= this.batchOf(lane) || lane.flushTimer || this.draining)
      return
    lane.flushTimer = setTimeout(() => {
      lane.flushTimer = undefined
      lane.due = true
      this.pump()
    }, this.options.flushIntervalMs)
  }

  private ready(lane: Lane): boolean {
    if (lane.busy || lane.heldUntilRetry || lane.items.length === 0) return false
    // A partial batch while more waits in the store: read the page first.
    if (lane.spilled && lane.items.length < this.batchOf(lane)) return false
    return this.flushing || !lane.subscription.batching || lane.due || lane.items.length >= this.batchOf(lane)
  }

  /** Starts deliveries while there are free slots and lanes ready, taking lanes in turn. */
  private pump(): void {
    if (!this.started || this.stopped) return
    for (const lane of this.lanes) this.refill(lane)
    while (this.active < this.options.concurrency) {
      const index = this.lanes.findIndex((_, i) => this.ready(this.lanes[(this.next + i) % this.lanes.length]))
      if (index < 0) return
      const lane = this.lanes[(this.next + index) % this.lanes.length]
      this.next = (this.next + index + 1) % this.lanes.length
      this.start(lane)
    }
  }

  private start(lane: Lane): void {
    const batch = lane.items.splice(0, this.batchOf(lane))
    lane.inFlight = batch
    lane.due = false
    clearTimeout(lane.flushTimer)
    lane.flushTimer = undefined
    if (lane.items.length > 0) this.arm(lane)
    lane.busy = true
    this.active++
    const startedAt = performance.now()
    this.send(lane, batch)
      .catch((error: Error): Outcome[] => batch.map(() => ({ kind: 'retryable', status: 500, reason: error.message })))
      .then((outcomes) => this.settle(lane, batch, outcomes, performance.now() - startedAt))
      .catch((error: Error) => this.logger.error({ err: error.message }, 'settling a delivery failed'))
      .finally(() => {
        lane.busy = false
        this.active--
        this.pump()
        this.wake()
      })
  }

  /**
   * Delivers a batch: one outcome per event. An at-most-once subscription's batch (no more than goes at once: see
   * `batchOf`) is first stored as being sent
   * (its attempts negated) in a durable queue, so that whoever reads it next — this runtime's next start after a
   * crash or a drain cut short, or another runtime taking over its partition — dead-letters it as OUTCOME_UNKNOWN
   * rather than sending it again; events read so are not sent. What comes of a delivery replaces the mark when the
   * batch settles. At-least-once actions (their requests set state, and are harmless to repeat) skip the mark.
   */
  private async send(lane: Lane, batch: QueuedEvent[]): Promise<Outcome[]> {
    const { subscription } = lane
    const events = (items: QueuedEvent[]) => items.map((item) => item.event)
    if (!runtimeAction(lane).atMostOnce) return this.deliverer.deliver(subscription, events(batch))
    const toSend = batch.filter((item) => !wasInterrupted(lane, item))
    if (toSend.length > 0 && this.queue.durable) {
      const sending = toSend.map((item) => ({ ...item, attempts: -(attemptsMade(item) + 1) }))
      const marked = await this.record({
        subscription: subscription.name,
        delivered: [],
        deadLettered: [],
        retried: sending
      })
      // The pipeline stopped before the mark was stored: nothing was sent, and nothing is recorded now.
      if (!marked) return batch.map(() => ({ kind: 'retryable', status: 503, reason: 'not sent: the runtime stopped' }))
    }
    const sent = toSend.length > 0 ? await this.deliverer.deliver(subscription, events(toSend)) : []
    let next = 0
    return batch.map((item): Outcome => {
      if (!wasInterrupted(lane, item)) return sent[next++]
      const listId = mappedListId(subscription.mapping, item.event)
      const outcome: Outcome = {
        kind: 'refused',
        status: OUTCOME_UNKNOWN_STATUS,
        errortype: OUTCOME_UNKNOWN,
        reason: INTERRUPTED_REASON
      }
      return listId === undefined ? outcome : { ...outcome, listId }
    })
  }

  private settlementOf(lane: Lane, batch: QueuedEvent[], outcomes: Outcome[]): Settlement {
    const settlement: Settlement = {
      subscription: lane.subscription.name,
      delivered: [],
      deadLettered: [],
      retried: []
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      // An event found interrupted was not sent again: its attempts stand.
      const attempts = wasInterrupted(lane, item) ? attemptsMade(item) : attemptsMade(item) + 1
      if (outcome.kind === 'delivered') {
        settlement.delivered.push(item.position)
      } else if (outcome.kind === 'retryable' && attempts < this.options.maxAttempts && !this.stopped) {
        settlement.retried.push({ ...item, attempts })
      } else {
        const reason =
          outcome.kind === 'refused'
            ? (outcome.reason ?? `refused with status ${outcome.status}`)
            : `gave up after ${attempts} attempt(s): ${outcome.reason ?? `status ${outcome.status}`}`
        const letter = {
          subscription: settlement.subscription,
          status: outcome.status,
          reason,
          attempts,
          event: item.event
        }
        // The list it was sent to, or, refused before sending, the one its mapping names: `dead-letters --list` finds it.
        const listId = outcome.listId ?? mappedListId(lane.subscription.mapping, item.event)
        settlement.deadLettered.push({
          position: item.position,
          letter: listId === undefined ? letter : { ...letter, listId }
        })
      }
    })
    return settlement
  }

  private async settle(lane: Lane, batch: QueuedEvent[], outcomes: Outcome[], durationMs: number): Promise<void> {
    if (this.finished) return
    const settlement = this.settlementOf(lane, batch, outcomes)
    if (!(await this.record(settlement))) return
    lane.inFlight = []
    const byPosition = new Map(batch.map((item, i) => [item.position, outcomes[i]]))
    this.counted(lane, settlement, byPosition)
    this.logDelivery(lane, batch, outcomes, durationMs)
    if (settlement.deadLettered.length > 0) {
      this.refusals.record(
        lane.subscription.name,
        lane.subscription.partnerAction,
        settlement.deadLettered.map(({ position, letter }) => ({
          reason: letter.reason,
          status: letter.status,
          errortype: byPosition.get(position)?.errortype,
          listId: letter.listId,
          messageId: letter.event.messageId
        }))
      )
    }
    const retry = settlement.retried
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

  /**
   * Stores a delivery's outcome, trying again while the store fails to write (disk full, a bad dead-letter file):
   * the events stay queued meanwhile, and the lane holds back later events so their order survives. False once
   * the pipeline has stopped without it being stored.
   */
  private async record(settlement: Settlement): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (this.finished) return false
      try {
        await this.queue.settle(settlement)
        this.writes.succeeded()
        return true
      } catch (error) {
        this.writes.failed(error as Error)
        this.stats.storeErrors++
        this.logger.error(
          { subscription: settlement.subscription, err: (error as Error).message, attempt: attempt + 1 },
          'could not store the outcome of a delivery; its events stay queued and it is tried again'
        )
        if (this.stopped) return false
        await this.pause(Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_BASE_MS * 2 ** attempt))
      }
    }
  }

  /** Counts a stored settlement in the stats and the queue's depth. */
  private counted(lane: Lane, settlement: Settlement, outcomes: Map<number, Outcome>): void {
    const name = lane.subscription.name
    const { sends } = runtimeAction(lane)
    for (const position of settlement.delivered) {
      const { listId, resourceId, unchanged } = outcomes.get(position) as Outcome
      this.stats.count('delivered', name, listId)
      if (unchanged) this.stats.unchangedBecause(unchanged)
      if (listId === undefined) continue
      if (sends === 'imports' && resourceId) this.stats.importAccepted(listId, resourceId)
      if (sends === 'messages') this.stats.messageSent(listId)
    }
    for (const { position } of settlement.retried) this.stats.count('retried', name, outcomes.get(position)?.listId)
    for (const { position, letter } of settlement.deadLettered) {
      const outcome = outcomes.get(position) as Outcome
      if (outcome.kind === 'refused') this.stats.count('refused', name, outcome.listId)
      this.stats.count('deadLettered', name, outcome.listId)
      this.stats.reason(`${outcome.status} ${outcome.errortype ?? ''}`.trim(), letter.reason)
    }
    this.queued -= settlement.delivered.length + settlement.deadLettered.length
  }

  /**
   * One log line per list the delivery touched: events, statuses and duration; never settings or tokens. An event
   * refused before it was sent counts under the list its mapping names.
   */
  private logDelivery(lane: Lane, batch: QueuedEvent[], outcomes: Outcome[], durationMs: number): void {
    const previousAttempts = batch[0] ? attemptsMade(batch[0]) : 0
    const byList = new Map<string, Record<number, number>>()
    for (const [i, outcome] of outcomes.entries()) {
      const listId = outcome.listId ?? mappedListId(lane.subscription.mapping, batch[i].event)
      const list = listId === undefined ? 'none' : String(listId)
      const statuses = byList.get(list) ?? {}
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1
      byList.set(list, statuses)
    }
    for (const [listId, statuses] of byList) {
      const events = Object.values(statuses).reduce((a, b) => a + b, 0)
      this.logger.info(
        {
          subscription: lane.subscription.name,
          action: lane.subscription.partnerAction,
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

  /** A wait that ends early when the pipeline stops. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pauses.delete(entry)
          resolve()
        }, ms),
        resolve
      }
      this.pauses.add(entry)
    })
  }

  private endPauses(): void {
    for (const entry of this.pauses) {
      clearTimeout(entry.timer)
      entry.resolve()
    }
    this.pauses.clear()
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
