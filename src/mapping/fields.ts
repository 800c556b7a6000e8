import type { InputField } from '@segment/actions-core'

/** Field definitions the actions share, so that a list, an address or the audience is mapped alike in each. */

export const API_ID_HINT = 'Help & Support > API ID Information in https://admin.listrak.com'

export const listId: InputField = {
  label: 'List ID',
  description: `Identifier used to locate the list. Find this under ${API_ID_HINT}.`,
  type: 'integer',
  required: true,
  dynamic: true
}

/**
 * No `format: 'email'` here or on New Email Address: actions-core would check it before the action trims the address,
 * refusing " jane@example.com ". The action applies the same rule to the trimmed address (`normalizeEmail`).
 */
export const emailAddress: InputField = {
  label: 'Email Address',
  description: 'Email address of the contact.',
  type: 'string',
  required: true,
  default: {
    '@if': {
      exists: { '@path': '$.context.traits.email' },
      then: { '@path': '$.context.traits.email' },
      else: { '@path': '$.traits.email' }
    }
  }
}

/** Where "useAudienceKey" reads the audience membership: the hidden fields of Engage's events. */
export const membershipFields: Record<'traits_or_props' | 'segment_audience_key' | 'event_name', InputField> = {
  traits_or_props: {
    label: 'Traits or Properties',
    description: 'The event properties (track) or traits (identify) that hold the audience membership boolean.',
    type: 'object',
    unsafe_hidden: true,
    default: {
      '@if': {
        exists: { '@path': '$.properties' },
        then: { '@path': '$.properties' },
        else: { '@path': '$.traits' }
      }
    }
  },
  segment_audience_key: {
    label: 'Audience Key',
    description: 'The Engage audience key; its true/false value in the event decides "useAudienceKey" fields.',
    type: 'string',
    unsafe_hidden: true,
    default: { '@path': '$.context.personas.computation_key' }
  },
  event_name: {
    label: 'Event Name',
    description: 'The event name; "Audience Entered" and "Audience Exited" decide "useAudienceKey" fields last.',
    type: 'string',
    unsafe_hidden: true,
    default: { '@path': '$.event' }
  }
}
