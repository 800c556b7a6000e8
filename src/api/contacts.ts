import { CreatedOutcome, ListrakRequest, postResource } from './client'
import type { ListrakUrls } from './urls'

const contactUrl = (urls: ListrakUrls, listId: number) => `${urls.api}/List/${listId}/Contact`

/** `Contact.subscriptionState`: the values Listrak allows. */
export const SUBSCRIPTION_STATES = ['Subscribed', 'Unsubscribed'] as const
export type SubscriptionState = typeof SUBSCRIPTION_STATES[number]

/** `updateType` of `POST /List/{listId}/Contact`: the values Listrak allows; `Update` is its default. */
export const UPDATE_TYPES = ['Update', 'Append', 'Overwrite'] as const
export type UpdateType = typeof UPDATE_TYPES[number]

/** Listrak's `SegmentationFieldValue`: a profile field and its value, always a string. */
export type SegmentationFieldValue = {
  segmentationFieldId: number
  value: string
}

/** Listrak's `Contact`, with the members a client writes; `segmentationFieldValues` is required, maybe empty. */
export type Contact = {
  emailAddress: string
  subscriptionState?: SubscriptionState
  externalContactID?: string
  segmentationFieldValues: SegmentationFieldValue[]
}

/** The query options of `POST /List/{listId}/Contact`, every one set (Listrak's defaults: none, false, `Update`). */
export interface ContactOptions {
  eventIds: number[]
  overrideUnsubscribe: boolean
  subscribedByContact: boolean
  sendDoubleOptIn: boolean
  updateType: UpdateType
  newEmailAddress?: string
}

/** The query string for `options`: what equals Listrak's default is left out; event IDs go comma-separated. */
export function contactQuery(options: ContactOptions): Record<string, string> {
  const query: Record<string, string> = {}
  if (options.eventIds.length > 0) query.eventIds = options.eventIds.join(',')
  if (options.overrideUnsubscribe) query.overrideUnsubscribe = 'true'
  if (options.subscribedByContact) query.subscribedByContact = 'true'
  if (options.sendDoubleOptIn) query.sendDoubleOptIn = 'true'
  if (options.updateType !== 'Update') query.updateType = options.updateType
  if (options.newEmailAddress !== undefined) query.newEmailAddress = options.newEmailAddress
  return query
}

/** `POST /List/{listId}/Contact`: creates the contact on the list, or updates it. One contact per request. */
export function postContact(
  request: ListrakRequest,
  listId: number,
  contact: Contact,
  query: Record<string, string>
): Promise<CreatedOutcome> {
  const search = new URLSearchParams(query).toString()
  return postResource(
    request,
    search ? `${contactUrl(request.urls, listId)}?${search}` : contactUrl(request.urls, listId),
    contact,
    `the contact on list ${listId}`,
    'the list does not exist for these API credentials. Check the List ID.'
  )
}
