import type { InputField } from '@segment/actions-core'

/** Field definitions the SMS actions share, so that a sender code, a list or a phone is mapped alike in each. */

/**
 * The contact's phone: Segment's `phone` trait where the event carries it (Attentive's chain: `context.traits`, then
 * `properties`), then the identify call's own traits.
 */
export const PHONE_DEFAULT = {
  '@if': {
    exists: { '@path': '$.context.traits.phone' },
    then: { '@path': '$.context.traits.phone' },
    else: {
      '@if': {
        exists: { '@path': '$.properties.phone' },
        then: { '@path': '$.properties.phone' },
        else: { '@path': '$.traits.phone' }
      }
    }
  }
}

export const senderCodeId: InputField = {
  label: 'Sender Code ID',
  description:
    "The sender code (short code) the contact is texted from: choose one of the account's sender codes. Its country " +
    'decides which phone numbers are taken.',
  type: 'integer',
  required: true,
  dynamic: true
}

export const phoneListId: InputField = {
  label: 'SMS List ID',
  description: 'The SMS list, from the chosen sender code: choose one of its active lists.',
  type: 'integer',
  required: true,
  dynamic: true
}

/** What numbers the actions take, for the descriptions of the fields that map one. */
export const PHONE_NUMBER_RULES =
  'US and Canadian sender codes take 10 digits, 1 and 10 digits, or +1 and 10 digits, with any spaces, dashes, dots ' +
  'or parentheses; other countries\' sender codes take a "+" number of their country. A number with letters (such as ' +
  'an extension) is refused.'

export const phoneNumber: InputField = {
  label: 'Phone Number',
  description: `The contact's mobile number. ${PHONE_NUMBER_RULES}`,
  type: 'string',
  required: true,
  default: PHONE_DEFAULT
}
