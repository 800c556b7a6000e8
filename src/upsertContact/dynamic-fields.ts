import type { ActionDefinition, DynamicFieldResponse, RequestFn } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { eventChoices, listChoices, profileFieldKeyChoices, profileFieldValueChoices } from '../mapping/dynamic-fields'
import type { Payload } from './generated-types'

type Dynamic = RequestFn<Settings, Payload, DynamicFieldResponse>

/** Choices for List ID, the keys and values of Profile Field Values, and Event IDs, read from the Listrak account. */
const choices: Record<string, Dynamic | Record<string, Dynamic>> = {
  listId: listChoices,
  profileFieldValues: {
    __keys__: (request, { payload }) => profileFieldKeyChoices(request, payload),
    __values__: (request, { payload, dynamicFieldContext }) =>
      profileFieldValueChoices(request, payload, dynamicFieldContext?.selectedKey, { withAudienceKey: true })
  },
  eventIds: (request, { payload }) => eventChoices(request, payload)
}

// actions-core calls the function of a field that takes several values like any other's, but its type for such a
// field is `never`; the functions are typed above instead.
export const dynamicFields = choices as ActionDefinition<Settings, Payload>['dynamicFields']
