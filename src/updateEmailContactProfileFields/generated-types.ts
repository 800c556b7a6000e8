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
   * Add one or more profile field IDs as object keys. You can find these IDs under Help & Support > API ID Information in https://admin.listrak.com. For a check box, choose one of three options as the object value: "on" (activates this field in Listrak), "off" (deactivates this field in Listrak), or "useAudienceKey" (Listrak sets the field based on the Segment Audience payload's audience_key boolean value: "true" activates the field, "false" deactivates it). Text, Numeric, Date and other fields take their value as text, for example a loyalty tier, a number or a date (YYYY-MM-DD). Each value is checked against its field before it is sent.
   */
  profileFieldValues?: {
    [k: string]: unknown
  }
  /**
   * Sync every audience with this one mapping: the profile field is the check-box field of the list named like the event's audience key (compared without case, spaces, "_" and "-"), set on or off by the audience membership. "Match" refuses events whose field does not exist; "match or create" creates it in a profile field group "Segment Audiences". Profile Field Values may then be empty; its entries still apply.
   */
  audienceProfileField?: string
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
   * When enabled, multiple events will be sent to Listrak in a single request, which is recommended for optimal performance.
   */
  enable_batching: boolean
  /**
   * Segment batches events that share these fields, so each batch goes to one list.
   */
  batch_keys?: string[]
}
