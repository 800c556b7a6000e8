import type { ActionDefinition } from '@segment/actions-core'
import { withUrls } from '../api/client'
import type { ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { listChoices, profileFieldKeyChoices, profileFieldValueChoices } from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** Choices for List ID and for the keys and values of Profile Field Values, read from the Listrak account. */
export const dynamicFields = (urls: ListrakUrls): ActionDefinition<Settings, Payload>['dynamicFields'] => ({
  listId: (request) => listChoices(withUrls(request, urls)),
  profileFieldValues: {
    __keys__: (request, { payload }) => profileFieldKeyChoices(withUrls(request, urls), payload),
    __values__: (request, { payload, dynamicFieldContext }) =>
      profileFieldValueChoices(withUrls(request, urls), payload, dynamicFieldContext?.selectedKey, {
        withAudienceKey: true
      })
  }
})
