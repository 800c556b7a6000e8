import type { SegmentEvent } from '@segment/actions-core'
import type { FollowUpInput, ImportFollowUps } from './follow-ups'
import type { DeadLetterInput } from './letter'

export type { DeadLetterInput } from './letter'

/**
 * The delivery queue's storage, behind one interface so that another backend (Redis Streams, for many machines)
 * can take the place of the embedded store. The pipeline keeps the logic — lanes, batching, retries, order — and a
 * backend keeps events: per subscription, in the order they were enqueued, until they are settled.
 */
export interface EventQueue {
  /** Whether what `enqueue` resolved for survives the process. */
  readonly durable: boolean
  /**
   * Whether other processes enqueue into and deliver from the same queue (absent: false). Then an event this
   * process stored may be delivered by another, and events others stored reach this one only through `read`.
   */
  readonly shared?: boolean
  /** Where the events are kept, for banners and errors. */
  readonly location: string
  /** Unsettled events per subscription when the queue was opened: what a start resumes. */
  readonly resumable: ReadonlyMap<string, number>
  /**
   * Stores each event once for each subscription it matched, all in one transaction, and resolves once they are
   * stored (durably, for a durable queue), with one result per event. With `dedup`, an event whose `messageId`
   * was enqueued within the dedup window (or earlier in the same call) is not stored again: `{ duplicate: true }`.
   * Positions are given in call order, when the call is made. Rejects with a `QueueUnavailableError` and stores
   * nothing.
   */
  enqueue(items: Enqueueing[], options: { dedup: boolean }): Promise<Enqueued[]>
  /** Up to `limit` unsettled events of a subscription after position `after`, in order. */
  read(subscription: string, after: number, limit: number): Promise<QueuedEvent[]>
  /**
   * Applies what one delivery decided, in one transaction: delivered events leave the queue, dead letters leave it
   * for the dead letters, retried events stay with their attempts counted. Rejects and changes nothing on failure.
   */
  settle(settlement: Settlement): Promise<void>
  /**
   * Why the queue cannot take events now, when it knows without trying (its Redis is not connected); undefined
   * otherwise. Cheap: readiness probes call it.
   */
  unavailable?(): string | undefined
  /** Room for about `bytes` more bytes of events; the pipeline bounds their count itself. */
  hasRoom(bytes: number): boolean
  /** Bytes the queue takes (0 when it is not measured: in memory). */
  bytes(): number
  /** The list imports being followed up, kept with the queue (see follow-ups.ts). */
  readonly imports: ImportFollowUps
  close(): Promise<void>
}

export interface Enqueueing {
  event: SegmentEvent
  /** The subscriptions it matched. */
  subscriptions: string[]
}

export type Enqueued = { duplicate: true } | { duplicate: false; position: number }

export interface QueuedEvent {
  /** The event's position in its subscription's queue; positions only grow, so order survives a restart. */
  position: number
  event: SegmentEvent
  /** Delivery attempts so far. */
  attempts: number
}

export interface DeadLetter extends DeadLetterInput {
  /** The dead letter's number in the store, for `dead-letters` commands; absent in the NDJSON file. */
  id?: number
  at: string
  messageId?: string
  /** A message of unknown outcome, settled by `dead-letters reconcile` from Listrak's activity. */
  reconciled?: Reconciliation
}

export interface Reconciliation {
  /** `sent`: never sent again; `not-sent`: `dead-letters retry` may send it. */
  outcome: 'sent' | 'not-sent'
  /** When Listrak's activity says it was sent, as Listrak gives it. */
  sendDate?: string
  checkedAt: string
  /** The reason the letter had before. */
  was: string
}

export interface Settlement {
  subscription: string
  delivered: number[]
  deadLettered: { position: number; letter: DeadLetterInput }[]
  /** With their attempts counted: a restart goes on counting from there. */
  retried: QueuedEvent[]
  /**
   * List imports Listrak took for some of the delivered events, recorded in the same transaction, so that those
   * events stay on record until the imports' results say whether Listrak took their addresses.
   */
  followUps?: FollowUpInput[]
}

/**
 * The queue takes no event now; the client should retry after `retryAfterSeconds`. Ingest answers 503 with
 * Retry-After for it (`statusCode`), and the message says why.
 */
export class QueueUnavailableError extends Error {
  readonly statusCode = 503
  readonly retryAfterSeconds = 1
  constructor(
    message: string,
    readonly code: 'QUEUE_FULL' | 'SHUTTING_DOWN' | 'STORE_ERROR'
  ) {
    super(message)
    this.name = 'QueueUnavailableError'
  }
}

export class QueueFullError extends QueueUnavailableError {
  constructor(message: string) {
    super(message, 'QUEUE_FULL')
  }
}

export class ShuttingDownError extends QueueUnavailableError {
  constructor() {
    super('The runtime is shutting down and takes no more events.', 'SHUTTING_DOWN')
  }
}

/** The store could not write; the event was not taken. The cause's message says what failed (disk full, …). */
export class StoreWriteError extends QueueUnavailableError {
  constructor(what: string, cause: unknown) {
    super(`The queue store could not ${what}: ${(cause as Error)?.message ?? String(cause)}`, 'STORE_ERROR')
  }
}

/** Which dead letters a `dead-letters` command works on; no filter means all. */
export interface DeadLetterFilter {
  /** Part of the reason, case-insensitive. */
  reason?: string
  listId?: number
}

export function matchesFilter(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.listId !== undefined && letter.listId !== filter.listId) return false
  if (filter.reason !== undefined && !letter.reason.toLowerCase().includes(filter.reason.toLowerCase())) return false
  return true
}

export const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
