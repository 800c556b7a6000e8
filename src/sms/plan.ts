import { planSequences } from '../batch/sequences'
import { phoneKey } from './phone'
import type {
  PreparedSmsContact,
  PreparedSmsUnsubscribe,
  SmsContactChange,
  SmsContactFields,
  SmsUnsubscribe,
  UnsubscribeScope
} from './prepare'

/**
 * Pure: the requests a batch of SMS contact events sends, one sequence per phone. Events for one sender code and
 * one number (however spelled) merge in order into one request when it does what they would do one after the other;
 * otherwise an event starts the phone's next request, sent after the one before.
 */

/** Listrak's `SMSContact` as the upsert writes it: only members with values (`optedOut` never). */
export interface SmsContact extends SmsContactFields {
  phoneNumber: string
  segmentationFieldValues?: { segmentationFieldId: number; value: string }[]
}

/** One upsert of one phone: the contact to write, the subscribe that goes with it, and the events it answers. */
export interface SmsContactRequest {
  senderCodeId: number
  /** Set when `subscribe` is. */
  phoneListId?: number
  subscribe: boolean
  resubscribeOptedOut: boolean
  contact: SmsContact
  /** Input indexes of the events merged into this request, in order. */
  eventIndexes: number[]
}

/** One unsubscribe of one phone, and the events it answers. */
export interface SmsUnsubscribeRequest {
  senderCodeId: number
  scope: UnsubscribeScope
  phoneListId?: number
  phoneNumber: string
  eventIndexes: number[]
}

const keyOf = (change: { senderCodeId: number; e164: string }) => phoneKey(change.senderCodeId, change.e164)

/**
 * Two upserts of a phone make one request when they ask the same: subscribe or not, to the same list, with the same
 * consent to resubscribe an opted-out phone. An update followed by a subscribe is not merged: alone the update fails
 * for a phone that is no contact yet, and the merge would hide that.
 */
const sameIntent = (a: SmsContactChange, b: SmsContactChange) =>
  a.subscribe === b.subscribe && a.phoneListId === b.phoneListId && a.resubscribeOptedOut === b.resubscribeOptedOut

const startContact = (change: SmsContactChange): SmsContactChange => ({
  ...change,
  fields: { ...change.fields },
  values: new Map(change.values)
})

/** The later event wins field by field: a member or profile field it gives replaces the earlier one's. */
function mergeContact(pending: SmsContactChange, next: SmsContactChange): void {
  Object.assign(pending.fields, next.fields)
  for (const [id, value] of next.values) pending.values.set(id, value)
}

function toContactRequest(change: SmsContactChange, eventIndexes: number[]): SmsContactRequest {
  const segmentationFieldValues = [...change.values].map(([segmentationFieldId, value]) => ({
    segmentationFieldId,
    value
  }))
  return {
    senderCodeId: change.senderCodeId,
    ...(change.phoneListId === undefined ? {} : { phoneListId: change.phoneListId }),
    subscribe: change.subscribe,
    resubscribeOptedOut: change.resubscribeOptedOut,
    contact: {
      phoneNumber: change.phoneNumber,
      ...change.fields,
      ...(segmentationFieldValues.length > 0 ? { segmentationFieldValues } : {})
    },
    eventIndexes
  }
}

/** The upserts a batch sends, one sequence per phone; refused events are in none. */
export function planSmsContactRequests(events: PreparedSmsContact[]): SmsContactRequest[][] {
  const changes = events.map((prepared) => (prepared.ok ? prepared.change : undefined))
  const sequences = planSequences<SmsContactChange, SmsContactChange>(changes, {
    key: keyOf,
    start: startContact,
    canMerge: sameIntent,
    merge: mergeContact
  })
  return sequences.map((sequence) => sequence.map(({ merged, eventIndexes }) => toContactRequest(merged, eventIndexes)))
}

/** The unsubscribes a batch sends, one sequence per phone: repeats of one unsubscribe are one request. */
export function planSmsUnsubscribes(events: PreparedSmsUnsubscribe[]): SmsUnsubscribeRequest[][] {
  const unsubscribes = events.map((prepared) => (prepared.ok ? prepared.unsubscribe : undefined))
  const sequences = planSequences<SmsUnsubscribe, SmsUnsubscribe>(unsubscribes, {
    key: keyOf,
    start: (unsubscribe) => unsubscribe,
    canMerge: (pending, next) => pending.scope === next.scope && pending.phoneListId === next.phoneListId,
    // Two unsubscribes that pass `canMerge` differ at most in the number's spelling, and it is sent normalised.
    merge: () => undefined
  })
  return sequences.map((sequence) =>
    sequence.map(({ merged: { e164: _e164, ...unsubscribe }, eventIndexes }) => ({ ...unsubscribe, eventIndexes }))
  )
}
