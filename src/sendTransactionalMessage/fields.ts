import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { API_ID_HINT, emailAddress, listId } from '../mapping/fields'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import type { Payload } from './generated-types'

export const fields: ActionDefinition<Settings, Payload>['fields'] = {
  listId,
  transactionalMessageId: {
    label: 'Transactional Message ID',
    description: `The transactional message to send, from the chosen list. Find its ID under ${API_ID_HINT}.`,
    type: 'integer',
    required: true,
    dynamic: true
  },
  emailAddress: { ...emailAddress, description: 'Email address of the recipient.' },
  profileFieldValues: {
    label: 'Merge Values',
    description:
      `Values the message merges in, as profile field IDs (object keys; find them under ${API_ID_HINT}) and their ` +
      'values, for example an order number or a total. Values are sent as text, after a check against their fields.',
    type: 'object',
    required: false,
    defaultObjectUI: 'keyvalue:only',
    dynamic: true
  },
  enable_batching: enableBatching('messages'),
  max_concurrent_requests: maxConcurrentRequests
}
