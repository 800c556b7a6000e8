import type { ActionDefinition, DynamicFieldResponse } from '@segment/actions-core'
import { ListrakRequest, withUrls } from '../api/client'
import type { ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { getTransactionalMessages } from '../api/transactional-messages'
import { choicesOfList, listChoices, profileFieldKeyChoices, profileFieldValueChoices } from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** The chosen list's transactional messages, as 'Order Confirmation: "Thanks for your order" (501)'. */
function transactionalMessageChoices(
  request: ListrakRequest,
  payload: { listId?: unknown } | undefined
): Promise<DynamicFieldResponse> {
  return choicesOfList(
    payload,
    'transactional messages',
    (listId) => getTransactionalMessages(request, listId),
    (m) => {
      const name = m.transactionalMessageName || `Transactional message ${m.transactionalMessageId}`
      const subject = m.subject ? `: "${m.subject}"` : ''
      return { label: `${name}${subject} (${m.transactionalMessageId})`, value: String(m.transactionalMessageId) }
    }
  )
}

/** Choices for List ID, Transactional Message ID and the keys and values of Merge Values, read from Listrak. */
export const dynamicFields = (urls: ListrakUrls): ActionDefinition<Settings, Payload>['dynamicFields'] => ({
  listId: (request) => listChoices(withUrls(request, urls)),
  transactionalMessageId: (request, { payload }) => transactionalMessageChoices(withUrls(request, urls), payload),
  profileFieldValues: {
    __keys__: (request, { payload }) => profileFieldKeyChoices(withUrls(request, urls), payload),
    __values__: (request, { payload, dynamicFieldContext }) =>
      profileFieldValueChoices(withUrls(request, urls), payload, dynamicFieldContext?.selectedKey, {
        withAudienceKey: false
      })
  }
})
