import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { bulkMinContacts } from '../mapping/bulk-import'
import { emailAddress, listId } from '../mapping/fields'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import type { Payload } from './generated-types'

export const fields: ActionDefinition<Settings, Payload>['fields'] = {
  listId,
  emailAddress,
  externalContactID: {
    label: 'External Contact ID',
    description: 'Your identifier for the contact, stored on it in Listrak. Leave empty to keep the one it has.',
    type: 'string',
    required: false
  },
  enable_batching: enableBatching('unsubscribes'),
  max_concurrent_requests: maxConcurrentRequests,
  bulk_import: {
    label: 'Bulk Import Large Batches',
    description:
      'Unsubscribe the contacts of a large batch in list imports, up to 5,000 contacts a request, rather than one ' +
      'request per contact. Listrak applies an import after it answers: every contact in it is reported as accepted, ' +
      'one that was not subscribed too, and a later change to the same contact may be applied first. Events with an ' +
      'External Contact ID still go one request per contact.',
    type: 'boolean',
    required: false,
    default: false
  },
  bulk_min_contacts: bulkMinContacts({ conditions: [{ fieldKey: 'bulk_import', operator: 'is', value: true }] })
}
