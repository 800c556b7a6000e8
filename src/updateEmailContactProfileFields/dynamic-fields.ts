import type { ActionDefinition, DynamicFieldResponse } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import { CHECKBOX, getLists, getProfileFields } from '../api/profile-fields'
import type { Settings } from '../generated-types'
import type { Payload } from './generated-types'
import { USE_AUDIENCE_KEY } from './profile-fields'

/** A Listrak failure as a dynamic-field error: Listrak's code and message, never an exception. */
const failed = (failure: ListrakFailure): DynamicFieldResponse => ({
  choices: [],
  error: { code: String(failure.status), message: failure.message }
})

/** Choices for List ID and for the keys and values of Profile Field Values, read from the Listrak account. */
export const dynamicFields: ActionDefinition<Settings, Payload>['dynamicFields'] = {
  listId: async (request) => {
    const lists = await getLists(request)
    if (!lists.ok) return failed(lists.failure)
    return { choices: lists.data.map((l) => ({ label: `${l.listName} (${l.listId})`, value: String(l.listId) })) }
  },
  profileFieldValues: {
    // Only check boxes take "on"/"off"; other field types are left out on purpose.
    __keys__: async (request, { payload }) => {
      const listId = Number(payload?.listId)
      if (!Number.isInteger(listId) || listId <= 0) {
        return {
          choices: [],
          error: { code: '400', message: 'Choose a List ID first: the profile fields come from the chosen list.' }
        }
      }
      const result = await getProfileFields(request, listId)
      if (!result.ok) return failed(result.failure)
      return {
        choices: result.data.fields
          .filter((f) => f.dataType === CHECKBOX)
          .map((f) => ({
            label: `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId})`,
            value: String(f.segmentationFieldId)
          }))
      }
    },
    __values__: async () => ({
      choices: [
        { label: 'on: check the box', value: 'on' },
        { label: 'off: clear the box', value: 'off' },
        { label: `${USE_AUDIENCE_KEY}: on when the contact is in the audience, off when not`, value: USE_AUDIENCE_KEY }
      ]
    })
  }
}
