import type { ActionDefinition, DynamicFieldResponse } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import { CHECKBOX, DATE, getLists, getProfileFields, NUMERIC } from '../api/profile-fields'
import type { Settings } from '../generated-types'
import type { Payload } from './generated-types'
import { parseProfileFieldId, USE_AUDIENCE_KEY } from './profile-fields'

/** A Listrak failure as a dynamic-field error: Listrak's code and message, never an exception. */
const failed = (failure: ListrakFailure): DynamicFieldResponse => ({
  choices: [],
  error: { code: String(failure.status), message: failure.message }
})

const CHECKBOX_CHOICES = [
  { label: 'on: check the box', value: 'on' },
  { label: 'off: clear the box', value: 'off' },
  { label: `${USE_AUDIENCE_KEY}: on when the contact is in the audience, off when not`, value: USE_AUDIENCE_KEY }
]

/** What the value of a field of each type looks like, for the types whose values are not free text. */
const HINTS: Record<string, { label: string; value: string }[]> = {
  [NUMERIC]: [{ label: 'a number, e.g. 1250 (or map an event property)', value: '0' }],
  [DATE]: [{ label: 'a date as YYYY-MM-DD or MM/DD/YYYY (or map an event property)', value: '2026-01-31' }]
}

function chosenList(payload: Partial<Payload> | undefined): number | undefined {
  const listId = Number(payload?.listId)
  return Number.isInteger(listId) && listId > 0 ? listId : undefined
}

const CHOOSE_LIST: DynamicFieldResponse = {
  choices: [],
  error: { code: '400', message: 'Choose a List ID first: the profile fields come from the chosen list.' }
}

/** Choices for List ID and for the keys and values of Profile Field Values, read from the Listrak account. */
export const dynamicFields: ActionDefinition<Settings, Payload>['dynamicFields'] = {
  listId: async (request) => {
    const lists = await getLists(request)
    if (!lists.ok) return failed(lists.failure)
    return { choices: lists.data.map((l) => ({ label: `${l.listName} (${l.listId})`, value: String(l.listId) })) }
  },
  profileFieldValues: {
    __keys__: async (request, { payload }) => {
      const listId = chosenList(payload)
      if (listId === undefined) return CHOOSE_LIST
      const result = await getProfileFields(request, listId)
      if (!result.ok) return failed(result.failure)
      return {
        choices: result.data.fields.map((f) => ({
          label: `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId}, ${f.dataType})`,
          value: String(f.segmentationFieldId)
        }))
      }
    },
    // Values by the chosen field's type: on/off/useAudienceKey for a check box, an example for Numeric and Date
    // fields, nothing to pick for free text. Without a list or a key, the check box's choices.
    __values__: async (request, { payload, dynamicFieldContext }) => {
      const listId = chosenList(payload)
      const fieldId = parseProfileFieldId(dynamicFieldContext?.selectedKey ?? '')
      if (listId === undefined || fieldId === undefined) return { choices: CHECKBOX_CHOICES }
      const result = await getProfileFields(request, listId)
      if (!result.ok) return failed(result.failure)
      const field = result.data.fields.find((f) => f.segmentationFieldId === fieldId)
      if (!field) {
        return { choices: [], error: { code: '404', message: `List ${listId} has no profile field ${fieldId}.` } }
      }
      if (field.dataType === CHECKBOX) return { choices: CHECKBOX_CHOICES }
      return { choices: HINTS[field.dataType] ?? [] }
    }
  }
}
