import type { InputField } from '@segment/actions-core'
import { emailAddress } from '../mapping/fields'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import { phoneListId, phoneNumber, senderCodeId } from '../mapping/sms-fields'

/** A trait read from the identify call's traits first, then from the traits the event carries in its context. */
const trait = (path: string) => ({
  '@if': {
    exists: { '@path': `$.traits.${path}` },
    then: { '@path': `$.traits.${path}` },
    else: { '@path': `$.context.traits.${path}` }
  }
})

const whenSubscribing = { conditions: [{ fieldKey: 'subscribe', operator: 'is' as const, value: true }] }

export const fields: Record<string, InputField> = {
  senderCodeId,
  phoneListId: {
    ...phoneListId,
    description:
      'The SMS list to subscribe the contact to, from the chosen sender code. Needed only when Subscribe to SMS List ' +
      'is on: the contact fields and profile field values apply to the sender code, not a list.',
    required: whenSubscribing,
    depends_on: whenSubscribing
  },
  phoneNumber,
  subscribe: {
    label: 'Subscribe to SMS List',
    description:
      'Subscribe the contact to the SMS list, creating the contact when the number is new. Only for contacts who ' +
      'consented to receive text messages from this sender code. When off, an existing contact is updated and no ' +
      'contact is created.',
    type: 'boolean',
    required: false,
    default: false
  },
  resubscribeOptedOut: {
    label: 'Resubscribe Opted-Out Contacts',
    description:
      'Subscribe a contact who opted out of the sender code (replied STOP, or was opted out in Listrak). Off: such a ' +
      'contact is left opted out and the event is refused. Only for contacts who consented again.',
    type: 'boolean',
    required: false,
    default: false,
    depends_on: whenSubscribing
  },
  emailAddress: {
    ...emailAddress,
    description: "The contact's email address, stored on the SMS contact. Leave empty to keep the one it has.",
    required: false
  },
  firstName: {
    label: 'First Name',
    description: "The contact's first name. Leave empty to keep the one it has.",
    type: 'string',
    required: false,
    default: trait('firstName')
  },
  lastName: {
    label: 'Last Name',
    description: "The contact's last name. Leave empty to keep the one it has.",
    type: 'string',
    required: false,
    default: trait('lastName')
  },
  birthday: {
    label: 'Birthday',
    description:
      "The contact's birthday, as YYYY-MM-DD (optionally with a time, which is not kept) or MM/DD/YYYY. Leave empty " +
      'to keep the one it has.',
    type: 'string',
    required: false,
    default: trait('birthday')
  },
  postalCode: {
    label: 'Postal Code',
    description: "The contact's postal code. Leave empty to keep the one it has.",
    type: 'string',
    required: false,
    default: trait('address.postalCode')
  },
  profileFieldValues: {
    label: 'Profile Field Values',
    description:
      "The sender code's SMS profile field IDs as object keys and their values. A Checkbox field takes on, off, true " +
      'or false; a Number field a number; a Date field a date (YYYY-MM-DD or MM/DD/YYYY); a Text field any text up ' +
      'to its length. Each value is checked against its field before it is sent.',
    type: 'object',
    required: false,
    defaultObjectUI: 'keyvalue:only',
    dynamic: true
  },
  enable_batching: enableBatching('SMS contacts'),
  max_concurrent_requests: maxConcurrentRequests
}
