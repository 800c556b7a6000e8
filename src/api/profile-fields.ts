import { z } from 'zod'
import { callListrak, collection, ListrakRequest, ListrakResult } from './client'
import { fieldGroupsUrl, fieldsUrl, listsUrl } from './urls'

/** Reads of Listrak's lists, profile field groups and profile fields, and the two creations the action needs. */

const list = z.object({ listId: z.number().int(), listName: z.string() })
const group = z.object({ segmentationFieldGroupId: z.number().int(), segmentationFieldGroupName: z.string() })
const field = z.object({
  segmentationFieldId: z.number().int(),
  segmentationFieldName: z.string(),
  dataType: z.string(),
  maxLength: z.number().int().optional()
})
const created = z.object({ resourceId: z.coerce.number().int().positive() }).transform(({ resourceId }) => resourceId)

export type List = z.infer<typeof list>
export type FieldGroup = z.infer<typeof group>
export type ProfileField = z.infer<typeof field> & { group: FieldGroup }

/** Listrak's profile field data types that take a value of their own kind; the others take any text. */
export const CHECKBOX = 'CheckBox'
export const NUMERIC = 'Numeric'
export const DATE = 'Date'

export function getLists(request: ListrakRequest): Promise<ListrakResult<List[]>> {
  return callListrak(request, listsUrl(request.urls), { method: 'GET' }, 'the list of lists', collection(list))
}

export function getFieldGroups(request: ListrakRequest, listId: number): Promise<ListrakResult<FieldGroup[]>> {
  const subject = `the profile field groups of list ${listId}`
  return callListrak(request, fieldGroupsUrl(request.urls, listId), { method: 'GET' }, subject, collection(group))
}

/** Every profile field of a list with its group: the groups first, then each group's fields concurrently. */
export async function getProfileFields(
  request: ListrakRequest,
  listId: number
): Promise<ListrakResult<{ groups: FieldGroup[]; fields: ProfileField[] }>> {
  const groups = await getFieldGroups(request, listId)
  if (!groups.ok) return groups
  const results = await Promise.all(
    groups.data.map((g) =>
      callListrak(
        request,
        fieldsUrl(request.urls, listId, g.segmentationFieldGroupId),
        { method: 'GET' },
        `the profile fields of group ${g.segmentationFieldGroupId} of list ${listId}`,
        collection(field)
      )
    )
  )
  const fields: ProfileField[] = []
  for (const [i, result] of results.entries()) {
    if (!result.ok) return result
    fields.push(...result.data.map((f) => ({ ...f, group: groups.data[i] })))
  }
  return { ok: true, status: 200, data: { groups: groups.data, fields } }
}

export function createFieldGroup(
  request: ListrakRequest,
  listId: number,
  name: string,
  position: number
): Promise<ListrakResult<number>> {
  const subject = `the creation of profile field group "${name}" on list ${listId}`
  const json = { segmentationFieldGroupName: name, position }
  return callListrak(request, fieldGroupsUrl(request.urls, listId), { method: 'POST', json }, subject, created)
}

export function createCheckboxField(
  request: ListrakRequest,
  listId: number,
  groupId: number,
  name: string,
  position: number
): Promise<ListrakResult<number>> {
  const subject = `the creation of check-box profile field "${name}" on list ${listId}`
  // A check box holds "on" or "off"; maxLength is required by Listrak's definition.
  const json = { segmentationFieldName: name, dataType: CHECKBOX, maxLength: 3, position }
  return callListrak(request, fieldsUrl(request.urls, listId, groupId), { method: 'POST', json }, subject, created)
}
