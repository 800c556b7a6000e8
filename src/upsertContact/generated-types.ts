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
   * Subscribe or unsubscribe the contact. Leave empty to keep an existing contact as it is; Listrak decides the state of a new one. An unsubscribe cannot carry profile field values or events (Listrak refuses them together).
   */
  subscriptionState?: string
  /**
   * Your identifier for the contact, stored on it in Listrak.
   */
  externalContactID?: string
  /**
   * Profile field IDs as object keys (find them under Help & Support > API ID Information in https://admin.listrak.com) and their values. A check box takes "on", "off" or "useAudienceKey" (on when the contact is in the Engage audience of the event, off when not); Text, Numeric, Date and other fields take their value as text. Each value is checked against its field before it is sent.
   */
  profileFieldValues?: {
    [k: string]: unknown
  }
  /**
   * Listrak events to raise after the contact is created or updated, for example to start a welcome series.
   */
  eventIds?: number[]
  /**
   * Resubscribe a contact who unsubscribed, when Subscription State is "Subscribed". Only for contacts who asked to be subscribed again.
   */
  overrideUnsubscribe?: boolean
  /**
   * Whether the contact asked to be subscribed (for example on a sign-up form).
   */
  subscribedByContact?: boolean
  /**
   * Send Listrak's double opt-in email when the contact is new to the list.
   */
  sendDoubleOptIn?: boolean
  /**
   * How Profile Field Values change an existing contact's fields: "Update" sets them; "Append" and "Overwrite" are Listrak's other update types. Events for the same contact merge only under Update.
   */
  updateType?: string
  /**
   * Change the contact's address to this one. Listrak takes an address change without profile field values or events.
   */
  newEmailAddress?: string
  /**
   * The event properties (track) or traits (identify) that hold the audience membership boolean.
   */
  traits_or_props?: {
    [k: string]: unknown
  }
  /**
   * The Engage audience key; its true/false value in the event decides "useAudienceKey" fields.
   */
  segment_audience_key?: string
  /**
   * The event name; "Audience Entered" and "Audience Exited" decide "useAudienceKey" fields last.
   */
  event_name?: string
  /**
   * When enabled, Segment sends events to this destination in batches, and each batch sends its contacts to Listrak concurrently (see Requests in Flight), with one result per event.
   */
  enable_batching: boolean
  /**
   * How many requests to Listrak one batch may have in flight at once, from 1 to 16. Listrak takes one contact or message per request, so a batch sends many.
   */
  max_concurrent_requests?: number
  /**
   * Send the contacts of a large batch in list imports, up to 5,000 contacts a request, rather than one request per contact. "off" sends one request per contact, each answered at once. "add_and_update" adds new contacts and updates those on the list; "update_only" updates contacts already on the list, unsubscribed ones too, and adds no one. Listrak applies an import after it answers: an address it refuses (banned, suppressed, invalid) is not reported per event, and a later change to the same contact may be applied first. Events with Event IDs, Send Double Opt-In, Override Unsubscribe, Subscribed by Contact or New Email Address still go one request per contact.
   */
  bulk_import?: string
  /**
   * The fewest contacts that make a list import, from 2 to 5,000: the contacts of a batch share an import when they go to the same list with the same subscription change, update type and profile fields, and a smaller group goes one request per contact.
   */
  bulk_min_contacts?: number
}
