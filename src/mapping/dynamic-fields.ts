import type { ListrakRequest, ListrakResult } from '../api/client'
import type { DynamicFieldResponse } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import { CHECKBOX, DATE, getLists, getProfileFields, NUMERIC } from '../api/profile-fields'
import { parseProfileFieldId, USE_AUDIENCE_KEY } from '../profile-fields/rules'

/** Choices read from the Listrak account for the actions' ID fields. Listrak's failures are the field's error. */

/** A Listrak failure as a dynamic-field error: Listrak's code and message, never an exception. */
const failed = (failure: ListrakFailure): DynamicFieldResponse => ({
  choices: [],
  error: { code: String(failure.status), message: failure.message }
})

/** The List ID a mapping has chosen, if any. */
function chosenList(payload: { listId?: unknown } | undefined): number | undefined {
  const listId = Number(payload?.listId)
  return Number.isInteger(listId) && listId > 0 ? listId : undefined
}

/**
 * Choices of things of the chosen list (its profile fields, events, messages): `read` reads them, `choice` words
 * each one. Without a list, the field asks for one first.
 */
export async function choicesOfList<T>(
  payload: { listId?: unknown } | undefined,
  what: string,
  read: (listId: number) => Promise<ListrakResult<T[]>>,
  choice: (item: T) => { label: string; value: string }
): Promise<DynamicFieldResponse> {
  const listId = chosenList(payload)
  if (listId === undefined) {
    return {
      choices: [],
      error: { code: '400', message: `Choose a List ID first: the ${what} come from the chosen list.` }
    }
  }
  const result = await read(listId)
  if (!result.ok) return failed(result.failure)
  return { choices: result.data.map(choice) }
}

/** The account's lists, as "Newsletter (12345)". */
export async function listChoices(request: ListrakRequest): Promise<DynamicFieldResponse> {
  const lists = await getLists(request)
  if (!lists.ok) return failed(lists.failure)
  return { choices: lists.data.map((l) => ({ label: `${l.listName} (${l.listId})`, value: String(l.listId) })) }
}

/** Every profile field of the chosen list, as "Engage Audiences › my_audience (6789, CheckBox)". */
export function profileFieldKeyChoices(
  request: ListrakRequest,
  payload: { listId?: unknown } | undefined
): Promise<DynamicFieldResponse> {
  const read = async (listId: number) => {
    const result = await getProfileFields(request, listId)
    return result.ok ? { ...result, data: result.data.fields } : result
  }
  return choicesOfList(payload, 'profile fields', read, (f) => ({
    label: `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId}, ${f.dataType})`,
    value: String(f.segmentationFieldId)
  }))
}

const CHECKBOX_CHOICES = [
  { label: 'on: check the box', value: 'on' },
  { label: 'off: clear the box', value: 'off' }
]

const AUDIENCE_CHOICE = {
  label: `${USE_AUDIENCE_KEY}: on when the contact is in the audience, off when not`,
  value: USE_AUDIENCE_KEY
}

/** What the value of a field of each type looks like, for the types whose values are not free text. */
const HINTS: Record<string, { label: string; value: string }[]> = {
  [NUMERIC]: [{ label: 'a number, e.g. 1250 (or map an event property)', value: '0' }],
  [DATE]: [{ label: 'a date as YYYY-MM-DD or MM/DD/YYYY (or map an event property)', value: '2026-01-31' }]
}

/**
 * Values by the chosen field's type: on/off (and useAudienceKey where the action reads a membership) for a check
 * box, an example for Numeric and Date fields, nothing to pick for free text. Without a list or a key, the check
 * box's choices.
 */
export async function profileFieldValueChoices(
  request: ListrakRequest,
  payload: { listId?: unknown } | undefined,
  selectedKey: string | undefined,
  { withAudienceKey }: { withAudienceKey: boolean }
): Promise<DynamicFieldResponse> {
  const checkbox = { choices: withAudienceKey ? [...CHECKBOX_CHOICES, AUDIENCE_CHOICE] : CHECKBOX_CHOICES }
  const listId = chosenList(payload)
  const fieldId = parseProfileFieldId(selectedKey ?? '')
  if (listId === undefined || fieldId === undefined) return checkbox
  const result = await getProfileFields(request, listId)
  if (!result.ok) return failed(result.failure)
  const field = result.data.fields.find((f) => f.segmentationFieldId === fieldId)
  if (!field) {
    return { choices: [], error: { code: '404', message: `List ${listId} has no profile field ${fieldId}.` } }
  }
  if (field.dataType === CHECKBOX) return checkbox
  return { choices: HINTS[field.dataType] ?? [] }
}
