import type { Contact, ContactOptions } from '../api/contacts'
import { planSequences } from '../batch/sequences'
import { ContactChange, PreparedContact, refusedCombination } from './prepare'

/** One `POST /List/{listId}/Contact`: the merged contact, its query options, and the events it answers. */
export interface ContactRequest {
  listId: number
  contact: Contact
  options: ContactOptions
  /** Input indexes of the events merged into this request, in order. */
  eventIndexes: number[]
}

/** The requests for one contact, sent one after another: each waits for the one before it. */
export type ContactSequence = ContactRequest[]

const addressKey = (listId: number, emailAddress: string) => `${listId}|${emailAddress.toLowerCase()}`

const sameOptions = (a: ContactOptions, b: ContactOptions) =>
  a.overrideUnsubscribe === b.overrideUnsubscribe &&
  a.subscribedByContact === b.subscribedByContact &&
  a.sendDoubleOptIn === b.sendDoubleOptIn &&
  a.updateType === b.updateType &&
  a.newEmailAddress?.toLowerCase() === b.newEmailAddress?.toLowerCase()

/**
 * Whether `next` can join `pending` so that one request does what the two would do one after the other:
 * - the same address and the same query options;
 * - profile fields updated (`Update`): under `Append` or `Overwrite` each event's values must reach Listrak as sent;
 * - no resubscribe after an unsubscribe: without `overrideUnsubscribe` Listrak keeps an unsubscribed contact
 *   unsubscribed, while the merge would subscribe one that was subscribed;
 * - not a combination Listrak refuses (an unsubscribe with profile fields or events).
 */
function canMerge(pending: ContactChange, next: ContactChange): boolean {
  if (pending.emailAddress.toLowerCase() !== next.emailAddress.toLowerCase()) return false
  if (!sameOptions(pending.options, next.options) || next.options.updateType !== 'Update') return false
  if (pending.subscriptionState === 'Unsubscribed' && next.subscriptionState === 'Subscribed') return false
  const refused = refusedCombination({
    subscriptionState: next.subscriptionState ?? pending.subscriptionState,
    newEmailAddress: next.options.newEmailAddress,
    hasValues: pending.values.size + next.values.size > 0,
    hasEvents: pending.options.eventIds.length + next.options.eventIds.length > 0
  })
  return refused === undefined
}

/** The later event wins field by field; events to raise add up, each raised once. */
function merge(pending: ContactChange, next: ContactChange): void {
  if (next.subscriptionState) pending.subscriptionState = next.subscriptionState
  if (next.externalContactID) pending.externalContactID = next.externalContactID
  for (const [id, value] of next.values) pending.values.set(id, value)
  pending.options = {
    ...pending.options,
    eventIds: [...new Set([...pending.options.eventIds, ...next.options.eventIds])]
  }
}

const start = (change: ContactChange): ContactChange => ({
  ...change,
  values: new Map(change.values),
  options: { ...change.options, eventIds: [...change.options.eventIds] }
})

const toRequest = (pending: ContactChange, eventIndexes: number[]): ContactRequest => ({
  listId: pending.listId,
  contact: {
    emailAddress: pending.emailAddress,
    ...(pending.subscriptionState ? { subscriptionState: pending.subscriptionState } : {}),
    ...(pending.externalContactID ? { externalContactID: pending.externalContactID } : {}),
    segmentationFieldValues: [...pending.values].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
  },
  options: pending.options,
  eventIndexes
})

/**
 * Pure: the requests a batch sends. Events for the same list and address (trimmed, compared without case) merge in
 * order into one request, the later event winning field by field, whenever the merged request means what sending
 * them one after the other would; otherwise the event starts the contact's next request, sent after the one before.
 * A contact whose address an event changes keeps its sequence under the new address too.
 */
export function planContactRequests(events: PreparedContact[]): ContactSequence[] {
  const changes = events.map((prepared) => (prepared.ok ? prepared.change : undefined))
  const sequences = planSequences(changes, {
    key: (change) => addressKey(change.listId, change.emailAddress),
    start,
    canMerge,
    merge,
    renamed: (change) =>
      change.options.newEmailAddress === undefined
        ? undefined
        : addressKey(change.listId, change.options.newEmailAddress)
  })
  return sequences.map((sequence) => sequence.map(({ merged, eventIndexes }) => toRequest(merged, eventIndexes)))
}
