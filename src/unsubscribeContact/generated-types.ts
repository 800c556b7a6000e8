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
  /**
   * Unsubscribe the contacts of a large batch in list imports, up to 5,000 contacts a request, rather than one request per contact. Listrak applies an import after it answers: every contact in it is reported as accepted, one that was not subscribed too, and a later change to the same contact may be applied first. Events with an External Contact ID still go one request per contact.
   */
  bulk_import?: boolean
  /**
   * The fewest contacts that make a list import, from 2 to 5,000: the contacts of a batch share an import when they go to the same list with the same subscription change, update type and profile fields, and a smaller group goes one request per contact.
   */
  bulk_min_contacts?: number
}
