import type { Logger } from 'pino'
import { OUTCOME_UNKNOWN, OUTCOME_UNKNOWN_STATUS } from '../../src/sendTransactionalMessage/outcome'
import { DeliveredEvent, followUpsOf } from '../imports/record'
import type { EventQueue, QueuedEvent, Settlement } from '../queue'
import type { FollowUpInput } from '../queue/follow-ups'
import type { RuntimeStats } from '../stats'
import { countSettlement, logDelivery, refusalsOf } from './accounting'
import { mappedListId } from './delivery'
import type { Deliverer, Outcome } from './delivery'
import { attemptsMade, Lane, runtimeAction, wasInterrupted } from './lane'
import type { RefusalLog } from './refusal-log'
import type { PipelineState } from './state'
import type { Pauses } from './waits'
import type { WriteHealth } from './write-health'

/** Backoff between tries to record a delivery's outcome in a store that fails to write. */
const RECORD_RETRY_BASE_MS = 100
export const RECORD_RETRY_MAX_MS = 5000

/**
 * An at-most-once event found recorded as being sent: the runtime that sent it stopped (a crash, a drain cut short)
 * or lost its partition before Listrak's answer was stored, so nobody knows whether it went.
 */
const INTERRUPTED_REASON =
  'The runtime stopped (or another runtime took over) while this event was being sent, before its outcome was ' +
  "stored: the message may or may not have been sent. Check the transactional message's activity in Listrak " +
  '(dead-letters reconcile does) before sending it again; this event is not retried, so that no one gets the ' +
  'message twice.'

/**
 * Sends a lane's batch and settles it: stores what came of each event (delivered, retried at the head of its lane
 * after a backoff, or dead-lettered with its reason), counts it and logs it. An at-most-once batch is stored as
 * being sent before it goes.
 */
export class Settler {
  constructor(
    private readonly deliverer: Deliverer,
    private readonly queue: EventQueue,
    private readonly stats: RuntimeStats,
    private readonly logger: Logger,
    private readonly options: {
      maxAttempts: number
      retryBaseMs: number
      retryMaxMs: number
      onFollowUps?: (subscription: string, followUps: FollowUpInput[]) => void
    },
    private readonly random: () => number,
    private readonly refusals: RefusalLog,
    private readonly writes: WriteHealth,
    private readonly pauses: Pauses,
    private readonly state: PipelineState,
    /** Starts what deliveries may start: a lane's backoff has passed. */
    private readonly pump: () => void
  ) {}

  /** Dead-letters what the store holds for a subscription that is not in the config (or is disabled). */
  async deadLetterOrphans(subscription: string): Promise<void> {
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
   * Delivers a batch: one outcome per event. An at-most-once subscription's batch (no more than goes at once: see
   * `batchOf` in lane.ts) is first stored as being sent
   * (its attempts negated) in a durable queue, so that whoever reads it next — this runtime's next start after a
   * crash or a drain cut short, or another runtime taking over its partition — dead-letters it as OUTCOME_UNKNOWN
   * rather than sending it again; events read so are not sent. What comes of a delivery replaces the mark when the
   * batch settles. At-least-once actions (their requests set state, and are harmless to repeat) skip the mark.
   */
  async send(lane: Lane, batch: QueuedEvent[]): Promise<Outcome[]> {
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

  settlementOf(lane: Lane, batch: QueuedEvent[], outcomes: Outcome[]): Settlement {
    const settlement: Settlement = {
      subscription: lane.subscription.name,
      delivered: [],
      deadLettered: [],
      retried: []
    }
    const delivered: DeliveredEvent[] = []
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      // An event found interrupted was not sent again: its attempts stand.
      const attempts = wasInterrupted(lane, item) ? attemptsMade(item) : attemptsMade(item) + 1
      if (outcome.kind === 'delivered') {
        settlement.delivered.push(item.position)
        delivered.push({ item, outcome, attempts })
      } else if (outcome.kind === 'retryable' && attempts < this.options.maxAttempts && !this.state.stopped) {
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
    const followUps = followUpsOf(delivered)
    if (followUps.length > 0) settlement.followUps = followUps
    return settlement
  }

  async settle(lane: Lane, batch: QueuedEvent[], outcomes: Outcome[], durationMs: number): Promise<void> {
    if (this.state.finished) return
    const settlement = this.settlementOf(lane, batch, outcomes)
    if (!(await this.record(settlement))) return
    if (settlement.followUps) this.options.onFollowUps?.(settlement.subscription, settlement.followUps)
    lane.inFlight = []
    const byPosition = new Map(batch.map((item, i) => [item.position, outcomes[i]]))
    this.counted(lane, settlement, byPosition)
    logDelivery(this.logger, lane, batch, outcomes, durationMs)
    if (settlement.deadLettered.length > 0) {
      this.refusals.record(lane.subscription.name, lane.subscription.partnerAction, refusalsOf(settlement, byPosition))
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
      if (this.state.finished) return false
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
        if (this.state.stopped) return false
        await this.pauses.pause(Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_BASE_MS * 2 ** attempt))
      }
    }
  }

  /** Counts a stored settlement in the stats and the queue's depth. */
  counted(lane: Lane, settlement: Settlement, outcomes: Map<number, Outcome>): void {
    countSettlement(this.stats, lane, settlement, outcomes)
    this.state.queued -= settlement.delivered.length + settlement.deadLettered.length
  }
}
