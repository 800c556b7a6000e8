// Generated file. DO NOT MODIFY IT BY HAND.

export interface Payload {
  /**
   * Identifier used to locate the list. Find this under Help & Support > API ID Information in https://admin.listrak.com.
   */
  listId: number
  /**
   * The transactional message to send, from the chosen list. Find its ID under Help & Support > API ID Information in https://admin.listrak.com.
   */
  transactionalMessageId: number
  /**
   * Email address of the recipient.
   */
  emailAddress: string
  /**
   * Values the message merges in, as profile field IDs (object keys; find them under Help & Support > API ID Information in https://admin.listrak.com) and their values, for example an order number or a total. Values are sent as text, after a check against their fields.
   */
  profileFieldValues?: {
    [k: string]: unknown
  }
  /**
   * When enabled, Segment sends events to this destination in batches, and each batch sends its messages to Listrak concurrently (see Requests in Flight), with one result per event.
   */
  enable_batching: boolean
  /**
   * How many requests to Listrak one batch may have in flight at once, from 1 to 16. Listrak takes one contact or message per request, so a batch sends many.
   */
  max_concurrent_requests?: number
}
