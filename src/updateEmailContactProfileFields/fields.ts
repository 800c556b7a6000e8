import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { API_ID_HINT, emailAddress, listId, membershipFields } from '../mapping/fields'
import type { Payload } from './generated-types'

export const fields: ActionDefinition<Settings, Payload>['fields'] = {
  listId,
  emailAddress,
  profileFieldValues: {
    label: 'Profile Field Values',
    description:
      `Add one or more profile field IDs as object keys. You can find these IDs under ${API_ID_HINT}. ` +
      'For a check box, choose one of three options as the object value: "on" (activates this field in Listrak), ' +
      '"off" (deactivates this field in Listrak), or "useAudienceKey" (Listrak sets the field based on the Segment ' +
      'Audience payload\'s audience_key boolean value: "true" activates the field, "false" deactivates it). Text, ' +
      'Numeric, Date and other fields take their value as text, for example a loyalty tier, a number or a date ' +
      '(YYYY-MM-DD). Each value is checked against its field before it is sent.',
    type: 'object',
    // Optional only when the field comes from the audience key; an event that resolves no field is refused.
    required: { conditions: [{ fieldKey: 'audienceProfileField', operator: 'is', value: 'off' }] },
    defaultObjectUI: 'keyvalue:only',
    dynamic: true
  },
  audienceProfileField: {
    label: 'Profile field from audience key',
    description:
      'Sync every audience with this one mapping: the profile field is the check-box field of the list named like ' +
      'the event\'s audience key (compared without case, spaces, "_" and "-"), set on or off by the audience ' +
      'membership. "Match" refuses events whose field does not exist; "match or create" creates it in a profile ' +
      'field group "Segment Audiences". Profile Field Values may then be empty; its entries still apply.',
    type: 'string',
    required: false,
    choices: [
      { label: 'Off: use Profile Field Values only', value: 'off' },
      { label: 'Match: the check-box field named like the audience key', value: 'match' },
      { label: 'Match or create: create the field when it does not exist', value: 'match_or_create' }
    ],
    default: 'off'
  },
  ...membershipFields,
  enable_batching: {
    label: 'Batch Data to Listrak',
    description:
      'When enabled, multiple events will be sent to Listrak in a single request, which is recommended for optimal performance.',
    type: 'boolean',
    required: true,
    default: true
  },
  batch_keys: {
    label: 'Batch Keys',
    description: 'Segment batches events that share these fields, so each batch goes to one list.',
    type: 'string',
    unsafe_hidden: true,
    multiple: true,
    required: false,
    default: ['listId']
  }
}
