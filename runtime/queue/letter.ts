import type { SegmentEvent } from '@segment/actions-core'

/** A dead letter as a delivery or a follow-up writes it; the store adds when, and its number. */
export interface DeadLetterInput {
  subscription: string
  status: number
  reason: string
  attempts: number
  /** The Listrak list the event was for, when the mapping got that far. */
  listId?: number
  event: SegmentEvent
}
