import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import {
  listChoices,
  profileFieldKeyChoices,
  profileFieldValueChoices,
  transactionalMessageChoices
} from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** Choices for List ID, Transactional Message ID and the keys and values of Merge Values, read from Listrak. */
export const dynamicFields: ActionDefinition<Settings, Payload>['dynamicFields'] = {
  listId: listChoices,
  transactionalMessageId: (request, { payload }) => transactionalMessageChoices(request, payload),
  profileFieldValues: {
    __keys__: (request, { payload }) => profileFieldKeyChoices(request, payload),
    __values__: (request, { payload, dynamicFieldContext }) =>
      profileFieldValueChoices(request, payload, dynamicFieldContext?.selectedKey, { withAudienceKey: false })
  }
}
