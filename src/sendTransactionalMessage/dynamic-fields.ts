import type { ActionDefinition, DynamicFieldResponse } from '@segment/actions-core'
import { ListrakRequest, withUrls } from '../api/client'
import type { ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { getTransactionalMessages } from '../api/transactional-messages'
import {
  chooseListFirst,
  chosenList,
  failed,
  listChoices,
  profileFieldKeyChoices,
  profileFieldValueChoices
} from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** The chosen list's transactional messages, as 'Order Confirmation: "Thanks for your order" (501)'. */
async function transactionalMessageChoices(
  request: ListrakRequest,
  payload: { listId?: unknown } | undefined
): Promise<DynamicFieldResponse> {
  const listId = chosenList(payload)
  if (listId === undefined) return chooseListFirst('transactional messages')
  const result = await getTransactionalMessages(request, listId)
  if (!result.ok) return failed(result.failure)
  return {
    choices: result.data.map((m) => {
      const name = m.transactionalMessageName || `Transactional message ${m.transactionalMessageId}`
      const subject = m.subject ? `: "${m.subject}"` : ''
      return { label: `${name}${subject} (${m.transactionalMessageId})`, value: String(m.transactionalMessageId) }
    })
  }
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
