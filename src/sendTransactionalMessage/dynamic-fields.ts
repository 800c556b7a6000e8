import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import type { ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import {
  listChoices,
  profileFieldKeyChoices,
  profileFieldValueChoices,
  transactionalMessageChoices
} from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

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
