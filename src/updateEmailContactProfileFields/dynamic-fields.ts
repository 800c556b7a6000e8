import type { ActionDefinition } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { listChoices, profileFieldKeyChoices, profileFieldValueChoices } from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

/** Choices for List ID and for the keys and values of Profile Field Values, read from the Listrak account. */
export const dynamicFields: ActionDefinition<Settings, Payload>['dynamicFields'] = {
  listId: listChoices,
  profileFieldValues: {
    __keys__: (request, { payload }) => profileFieldKeyChoices(request, payload),
    __values__: (request, { payload, dynamicFieldContext }) =>
      profileFieldValueChoices(request, payload, dynamicFieldContext?.selectedKey, { withAudienceKey: true })
  }
}
