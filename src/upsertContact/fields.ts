import type { ActionDefinition } from '@segment/actions-core'
import { SUBSCRIPTION_STATES, UPDATE_TYPES } from '../api/contacts'
import type { Settings } from '../generated-types'
import { bulkMinContacts } from '../mapping/bulk-import'
import { API_ID_HINT, emailAddress, listId, membershipFields } from '../mapping/fields'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import type { Payload } from './generated-types'

export const fields: ActionDefinition<Settings, Payload>['fields'] = {
  listId,
  emailAddress,
  subscriptionState: {
    label: 'Subscription State',
    description:
      'Subscribe or unsubscribe the contact. Leave empty to keep an existing contact as it is; Listrak decides the ' +
      'state of a new one. An unsubscribe cannot carry profile field values or events (Listrak refuses them together).',
    type: 'string',
    required: false,
    choices: SUBSCRIPTION_STATES.map((state) => ({ label: state, value: state }))
  },
  externalContactID: {
    label: 'External Contact ID',
    description: 'Your identifier for the contact, stored on it in Listrak.',
    type: 'string',
    required: false,
    default: { '@path': '$.userId' }
  },
  profileFieldValues: {
    label: 'Profile Field Values',
    description:
      `Profile field IDs as object keys (find them under ${API_ID_HINT}) and their values. A check box takes "on", ` +
      '"off" or "useAudienceKey" (on when the contact is in the Engage audience of the event, off when not); Text, ' +
      'Numeric, Date and other fields take their value as text. Each value is checked against its field before it is sent.',
    type: 'object',
    required: false,
    defaultObjectUI: 'keyvalue:only',
    dynamic: true
  },
  eventIds: {
    label: 'Event IDs',
    description:
      'Listrak events to raise after the contact is created or updated, for example to start a welcome series.',
    type: 'integer',
    multiple: true,
    required: false,
    dynamic: true
  },
  overrideUnsubscribe: {
    label: 'Override Unsubscribe',
    description:
      'Resubscribe a contact who unsubscribed, when Subscription State is "Subscribed". Only for contacts who asked ' +
      'to be subscribed again.',
    type: 'boolean',
    required: false,
    default: false
  },
  subscribedByContact: {
    label: 'Subscribed by Contact',
    description: 'Whether the contact asked to be subscribed (for example on a sign-up form).',
    type: 'boolean',
    required: false,
    default: false
  },
  sendDoubleOptIn: {
    label: 'Send Double Opt-In',
    description: "Send Listrak's double opt-in email when the contact is new to the list.",
    type: 'boolean',
    required: false,
    default: false
  },
  updateType: {
    label: 'Update Type',
    description:
      'How Profile Field Values change an existing contact\'s fields: "Update" sets them; "Append" and "Overwrite" ' +
      "are Listrak's other update types. Events for the same contact merge only under Update.",
    type: 'string',
    required: false,
    choices: UPDATE_TYPES.map((type) => ({ label: type, value: type })),
    default: 'Update'
  },
  newEmailAddress: {
    label: 'New Email Address',
    description:
      "Change the contact's address to this one. Listrak takes an address change without profile field values or events.",
    type: 'string',
    required: false
  },
  ...membershipFields,
  enable_batching: enableBatching('contacts'),
  max_concurrent_requests: maxConcurrentRequests,
  bulk_import: {
    label: 'Bulk Import Large Batches',
    description:
      'Send the contacts of a large batch in list imports, up to 5,000 contacts a request, rather than one request ' +
      'per contact. "off" sends one request per contact, each answered at once. "add_and_update" adds new contacts ' +
      'and updates those on the list; "update_only" updates contacts already on the list, unsubscribed ones too, and ' +
      'adds no one. Listrak applies an import after it answers: an address it refuses (banned, suppressed, invalid) ' +
      'is not reported per event, and a later change to the same contact may be applied first. Events with Event ' +
      'IDs, Send Double Opt-In, Override Unsubscribe, Subscribed by Contact or New Email Address still go one ' +
      'request per contact.',
    type: 'string',
    required: false,
    choices: [
      { label: 'Off: one request per contact', value: 'off' },
      { label: 'Add new contacts and update existing ones', value: 'add_and_update' },
      { label: 'Update existing contacts only', value: 'update_only' }
    ],
    default: 'off'
  },
  bulk_min_contacts: bulkMinContacts({
    conditions: [{ fieldKey: 'bulk_import', operator: 'is_not', value: 'off' }]
  })
}
