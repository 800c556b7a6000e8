import type { InputField } from '@segment/actions-core'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import { phoneListId, phoneNumber, senderCodeId } from '../mapping/sms-fields'

const fromList = { conditions: [{ fieldKey: 'scope', operator: 'is' as const, value: 'list' }] }

export const fields: Record<string, InputField> = {
  senderCodeId,
  scope: {
    label: 'Unsubscribe From',
    description:
      '"list": unsubscribe the contact from the SMS list only. "senderCode": opt the contact out of the sender ' +
      'code, and so of every list of it; Listrak takes no opt-in back through its API.',
    type: 'string',
    required: true,
    choices: [
      { label: 'The SMS list', value: 'list' },
      { label: 'The sender code (every list)', value: 'senderCode' }
    ],
    default: 'list'
  },
  phoneListId: {
    ...phoneListId,
    description: 'The SMS list to unsubscribe the contact from, from the chosen sender code.',
    required: fromList,
    depends_on: fromList
  },
  phoneNumber,
  enable_batching: enableBatching('SMS unsubscribes'),
  max_concurrent_requests: maxConcurrentRequests
}
