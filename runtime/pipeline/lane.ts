import { concurrencyOf } from '../../src/mapping/one-per-request'
import type { QueuedEvent } from '../queue'
import { RUNTIME_ACTIONS } from './actions'
import type { CompiledSubscription } from './subscriptions'

/** Events of a subscription kept in memory at least; the rest waits in the store and is read a page at a time. */
const MIN_WINDOW = 64

/** An at-most-once event's attempts, stored negated while a delivery of it is under way (see `Settler.send`). */
export const attemptsMade = (item: QueuedEvent) => Math.abs(item.attempts)
export const runtimeAction = (lane: Lane) => RUNTIME_ACTIONS[lane.subscription.partnerAction]
export const wasInterrupted = (lane: Lane, item: QueuedEvent) => runtimeAction(lane).atMostOnce && item.attempts < 0

/** One subscription's queue. It has at most one delivery in flight, so its events reach Listrak in order. */
export interface Lane {
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

/** A lane with nothing in memory yet; `spilled` when its subscription has events waiting in the store. */
export function newLane(subscription: CompiledSubscription, spilled: boolean): Lane {
  return {
    subscription,
    items: [],
    inFlight: [],
    cursor: -1,
    spilled,
    loading: false,
    enqueuedWhileLoading: false,
    busy: false,
    heldUntilRetry: false,
    due: false
  }
}

/**
 * Events per delivery. An at-most-once lane sends no more at once than its mapping has requests in flight, so that
 * what a crash (or a drain cut short) leaves as being sent, and so of unknown outcome, is what was really on its
 * way: not a whole batch of a thousand of which most had not left yet.
 */
export function batchOf(lane: Lane): number {
  const { batching, batchSize, mapping } = lane.subscription
  if (!batching) return 1
  if (!runtimeAction(lane).atMostOnce) return batchSize
  return Math.min(batchSize, concurrencyOf(mapping.max_concurrent_requests))
}

export function windowOf(lane: Lane): number {
  return Math.max(MIN_WINDOW, 2 * batchOf(lane))
}
