import type { InputField } from '@segment/actions-core'
import { enableBatching, maxConcurrentRequests } from '../mapping/one-per-request'
import { PHONE_NUMBER_RULES, phoneListId, phoneNumber, senderCodeId } from '../mapping/sms-fields'

export const fields: Record<string, InputField> = {
  senderCodeId,
  phoneListId: {
    ...phoneListId,
    description:
      'The SMS list the transactional message belongs to, from the chosen sender code. Only its subscribers are ' +
      'texted: subscribe contacts with Create or Update SMS Contact.'
  },
  transactionalMessageId: {
    label: 'Transactional Message ID',
    description: 'The transactional message to send, from the chosen SMS list.',
    type: 'integer',
    required: true,
    dynamic: true
  },
  phoneNumber: { ...phoneNumber, description: `The recipient's mobile number. ${PHONE_NUMBER_RULES}` },
  messageContent: {
    label: 'Message Content',
    description:
      'The text to send, for example built with a template: "Your order {{properties.order_id}} has shipped". It ' +
      'is sent trimmed; an empty text is refused before sending.',
    type: 'string',
    required: true
  },
  enable_batching: enableBatching('text messages'),
  max_concurrent_requests: maxConcurrentRequests
}
