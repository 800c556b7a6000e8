import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
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
  max_concurrent_requests: maxConcurrentRequests
}
