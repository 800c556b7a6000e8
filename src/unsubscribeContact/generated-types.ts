// Generated file. DO NOT MODIFY IT BY HAND.

export interface Payload {
  /**
   * Identifier used to locate the list. Find this under Help & Support > API ID Information in https://admin.listrak.com.
   */
  listId: number
  /**
   * Email address of the contact.
   */
  emailAddress: string
  /**
   * Your identifier for the contact, stored on it in Listrak. Leave empty to keep the one it has.
   */
  externalContactID?: string
  /**
   * When enabled, Segment sends events to this destination in batches, and each batch sends its unsubscribes to Listrak concurrently (see Requests in Flight), with one result per event.
   */
  enable_batching: boolean
  /**
   * How many requests to Listrak one batch may have in flight at once, from 1 to 16. Listrak takes one contact or message per request, so a batch sends many.
   */
  max_concurrent_requests?: number
}
