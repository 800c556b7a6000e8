import type { SegmentEvent } from '@segment/actions-core'

/** How the queue store lays its data out in LMDB: what `queue.ts` writes and `store-walk.ts` reads. */

export const TABLES = {
  events: 'events',
  deadLetters: 'dead-letters',
  /** messageId → when it was enqueued (ms). */
  seen: 'seen',
  /** [when, messageId]: the dedup window in time order, so expired entries are found without a scan. */
  seenByTime: 'seen-by-time',
  /** [subscription, listId, importFileId] → a list import being followed up (StoredFollowUp). */
  imports: 'imports',
  /** [subscription, listId, importFileId, position] → an event sent in it (FollowUpRow). */
  importRows: 'import-rows',
  /** A number that only grows → a finished follow-up (FinishedImport), the last FINISHED_KEPT of them. */
  importsFinished: 'imports-finished'
} as const

/** A subscription's events are keyed [subscription, position]; '' sorts after every number, ending its range. */
export const END = ''

export interface StoredEvent {
  event: SegmentEvent
  /** Delivery attempts so far; negated while an at-most-once delivery of it is under way. */
  attempts: number
}

export const MAX_TABLES = 12
