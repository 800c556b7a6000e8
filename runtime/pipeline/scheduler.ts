import type { Logger } from 'pino'
import type { EventQueue, QueuedEvent } from '../queue'
import type { RuntimeStats } from '../stats'
import { countStoreFailure } from './accounting'
import type { Outcome } from './delivery'
import { batchOf, Lane, windowOf } from './lane'
import { RECORD_RETRY_MAX_MS, Settler } from './settler'
import type { PipelineState } from './state'
import type { Pauses, Waiters } from './waits'

/**
 * The lanes, one per subscription, and when each sends: events enter a lane's window in order (the rest waits in
 * the store, read a page at a time), a batch goes when full, when its flush interval has passed, or at once during a
 * drain, one delivery at a time per lane and `concurrency` across lanes, taken in turn.
 */
export class LaneScheduler {
  /** Deliveries under way. */
  active = 0
  private next = 0

  constructor(
    readonly lanes: Lane[],
    private readonly queue: EventQueue,
    private readonly settler: Settler,
    private readonly state: PipelineState,
    private readonly options: { concurrency: number; flushIntervalMs: number },
    /** The queue is shared with other processes (see `Pipeline`). */
    private readonly shared: boolean,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly waiters: Waiters,
    private readonly pauses: Pauses
  ) {}

  /** Takes a stored event into the lane's window, or leaves it in the store when the window is full. */
  take(lane: Lane, queued: QueuedEvent): void {
    // A page read from the store since it was stored has it already: the store commits in position order, so a
    // page that reached past it held it.
    if (queued.position <= lane.cursor) return
    if (lane.spilled || lane.loading || lane.items.length >= windowOf(lane)) {
      lane.spilled = true
      if (lane.loading) lane.enqueuedWhileLoading = true
      return
    }
    lane.items.push(queued)
    lane.cursor = Math.max(lane.cursor, queued.position)
    this.arm(lane)
  }

  /** Reads the next page of a lane's events from the store once its window runs low. */
  private refill(lane: Lane): void {
    if (!lane.spilled || lane.loading || this.state.stopped) return
    const room = windowOf(lane) - lane.items.length
    if (room < windowOf(lane) / 2) return
    lane.loading = true
    lane.enqueuedWhileLoading = false
    this.queue.read(lane.subscription.name, lane.cursor, room).then(
      (page) => {
        lane.loading = false
        for (const queued of page) {
          if (queued.position <= lane.cursor) continue
          lane.items.push(queued)
          lane.cursor = queued.position
          if (this.shared) this.state.queued++
        }
        // A short page: the lane has what there is, and a partial batch may go when due. A shared queue bounds
        // each read in rounds over its partitions, so a short page may leave events behind: only an empty page
        // says its partitions hold nothing now (else a drain, which no longer polls, would stop short of them).
        const exhausted = this.shared ? page.length === 0 : page.length < room
        if (exhausted && !lane.enqueuedWhileLoading) lane.spilled = false
        if (lane.items.length > 0) this.arm(lane)
        this.pump()
        this.waiters.wake()
      },
      (error: Error) => {
        countStoreFailure(this.stats, this.logger, error, lane.subscription.name)
        void this.pause(RECORD_RETRY_MAX_MS).then(() => {
          lane.loading = false
          this.pump()
        })
      }
    )
  }

  private arm(lane: Lane): void {
    if (!lane.subscription.batching || lane.items.length >= batchOf(lane) || lane.flushTimer || this.state.draining)
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
    if (lane.spilled && lane.items.length < batchOf(lane)) return false
    return this.state.flushing || !lane.subscription.batching || lane.due || lane.items.length >= batchOf(lane)
  }

  /** Starts deliveries while there are free slots and lanes ready, taking lanes in turn. */
  pump(): void {
    if (!this.state.started || this.state.stopped) return
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
    const batch = lane.items.splice(0, batchOf(lane))
    lane.inFlight = batch
    lane.due = false
    clearTimeout(lane.flushTimer)
    lane.flushTimer = undefined
    if (lane.items.length > 0) this.arm(lane)
    lane.busy = true
    this.active++
    const startedAt = performance.now()
    this.settler
      .send(lane, batch)
      .catch((error: Error): Outcome[] => batch.map(() => ({ kind: 'retryable', status: 500, reason: error.message })))
      .then((outcomes) => this.settler.settle(lane, batch, outcomes, performance.now() - startedAt))
      .catch((error: Error) => this.logger.error({ err: error.message }, 'settling a delivery failed'))
      .finally(() => {
        lane.busy = false
        this.active--
        this.pump()
        this.waiters.wake()
      })
  }

  /** A shared queue's lanes are still reading (or to read) their partitions; other queues have nothing to add. */
  reading(): boolean {
    return this.shared && this.lanes.some((lane) => lane.loading || lane.spilled)
  }

  /** A wait that ends early when the pipeline stops. */
  private pause(ms: number): Promise<void> {
    if (this.state.stopped) return Promise.resolve()
    return this.pauses.pause(ms)
  }
}
