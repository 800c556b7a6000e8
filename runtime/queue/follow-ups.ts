import type { SegmentEvent } from '@segment/actions-core'
import type { DeadLetterInput } from './letter'

/**
 * The list imports the runtime follows up (see runtime/imports/), as each queue backend keeps them: with the queue,
 * so that an event that left the queue in an import Listrak took stays on record until the import's per-contact
 * results say whether Listrak took its address. Recorded in the transaction that settles the delivery, finished in
 * the transaction that stores the dead letters of the refused rows.
 */

/** Which import: one per subscription, list and Listrak's import file ID. */
export interface FollowUpKey {
  subscription: string
  listId: number
  importFileId: string
}

/** One event sent in an import, as a dead letter would need it. */
export interface FollowUpRow {
  /** The address the event's row carried, as sent. */
  emailAddress: string
  event: SegmentEvent
  /** Delivery attempts, the one that reached the import included. */
  attempts: number
}

/** A row as a settlement records it: `position` names its event in the settlement. */
export interface RecordedRow extends FollowUpRow {
  position: number
}

/** What a settlement records of one import Listrak took (201) for some of its delivered events. */
export interface FollowUpInput {
  listId: number
  importFileId: string
  /** The import's `importType`, as the destination said it sent it. */
  importType?: string
  rows: RecordedRow[]
}

/** An import being followed. */
export interface FollowUp extends FollowUpKey {
  importType?: string
  /** When its delivery was settled (ISO 8601): the follow-up's bound counts from then. */
  startedAt: string
  /** Events sent in it. */
  rows: number
  /** Listrak's status word at the last poll, and when that was. */
  status?: string
  checkedAt?: string
  /** Polls of its status so far (across restarts). */
  polls: number
}

/**
 * How an import's follow-up ended: `completed` (Listrak's results read), `timed-out` (not completed within the
 * bound), `not-found` (Listrak answered 404 for it), `failed` (Listrak's status says it failed), `stopped` (an
 * in-memory queue stopped before its results came).
 */
export type FollowUpOutcome = 'completed' | 'timed-out' | 'not-found' | 'failed' | 'stopped'

/** A refused address, with Listrak's word for it. */
export interface Refusal {
  emailAddress: string
  importResult: string
}

/** A finished follow-up, as `listrak-actions imports` shows it. */
export interface FinishedImport extends FollowUpKey {
  importType?: string
  startedAt: string
  finishedAt: string
  outcome: FollowUpOutcome
  /** Listrak's last status word, when it gave one. */
  status?: string
  rows: number
  /** Events dead-lettered when it finished: those refused, or all of them when its outcome is unknown. */
  deadLettered: number
  /** Refused addresses (at most MAX_KEPT_REFUSALS are kept; `refused` counts them all). */
  refused: number
  refusals: Refusal[]
}

/** Finished follow-ups kept for `listrak-actions imports`; older ones are forgotten. */
export const FINISHED_KEPT = 100
/** Refusals kept per finished follow-up: the dead letters hold every one. */
export const MAX_KEPT_REFUSALS = 100

/** One string per key, the same in every process: JSON of its parts. */
export const followUpId = ({ subscription, listId, importFileId }: FollowUpKey) =>
  JSON.stringify([subscription, listId, importFileId])

/** Oldest first; imports recorded together (one settlement) by list, then by import. */
export const byStart = (a: FollowUp, b: FollowUp): number =>
  a.startedAt.localeCompare(b.startedAt) ||
  a.subscription.localeCompare(b.subscription) ||
  a.listId - b.listId ||
  a.importFileId.localeCompare(b.importFileId, 'en', { numeric: true })

export const keyOf = ({ subscription, listId, importFileId }: FollowUpKey): FollowUpKey => ({
  subscription,
  listId,
  importFileId
})

/** What a poll saw, kept with the follow-up for `listrak-actions imports` and the next start. */
export interface FollowUpProgress {
  status?: string
  checkedAt: string
  polls: number
}

/** A follow-up's end: what is kept of it, and the dead letters stored with it. */
export interface FollowUpEnd {
  report: FinishedImport
  letters: DeadLetterInput[]
}

/** The follow-ups a queue keeps, for the follower and the `imports` command. */
export interface ImportFollowUps {
  /** The imports being followed, oldest first, without their rows. */
  following(): Promise<FollowUp[]>
  /** The events sent in an import, as recorded. */
  rows(key: FollowUpKey): Promise<FollowUpRow[]>
  /**
   * Whether this process may poll the import now, for `leaseMs`. Always, on a queue of its own; with a queue shared by
   * several runtimes, one of them polls an import at a time, and another takes it over once that one stops renewing.
   */
  claim(key: FollowUpKey, leaseMs: number): Promise<boolean>
  /** Stores what a poll saw; nothing when the follow-up is gone. */
  progress(key: FollowUpKey, progress: FollowUpProgress): Promise<void>
  /**
   * In one transaction: stores the dead letters, removes the follow-up and its rows, and keeps its report among the
   * last FINISHED_KEPT. Resolves false, storing nothing, when the follow-up is no longer there (another runtime
   * finished it).
   */
  finish(key: FollowUpKey, end: FollowUpEnd): Promise<boolean>
  /** The finished follow-ups kept, newest first. */
  finished(): Promise<FinishedImport[]>
}
