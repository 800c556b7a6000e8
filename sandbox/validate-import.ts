import {
  CHECKBOX_VALUES,
  ContactSegmentationFieldValues,
  ERROR,
  ErrorEnvelope,
  SegmentationField,
  segmentationFieldImportBody
} from './contract'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Whether Listrak would take `value` as an email address. */
export const isEmailAddress = (value: string) => EMAIL.test(value)

/** Whether a number field takes `value`: a finite number. */
export const isNumberValue = (value: string) => value.trim() !== '' && Number.isFinite(Number(value))

/** Whether a date field takes `value`: an ISO or US date that JavaScript can read. */
export const isDateValue = (value: string) =>
  /^(\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})/.test(value) && !Number.isNaN(Date.parse(value))

/** What a Numeric or Date profile field accepts. */
const FITS: Partial<Record<SegmentationField['dataType'], (value: string) => boolean>> = {
  Numeric: isNumberValue,
  Date: isDateValue
}

export type ImportValidation =
  { ok: true; contacts: ContactSegmentationFieldValues[] } | { ok: false; error: ErrorEnvelope }

const invalidValue = (message: string): ErrorEnvelope => ({ status: 400, error: ERROR.INVALID_PARAMETER, message })

const invalid = (message: string): ImportValidation => ({ ok: false, error: invalidValue(message) })

/**
 * Checks an import body as Listrak does: the shape of `ContactSegmentationFieldValues[]`, the addresses, that
 * every field exists on the list, that check boxes get `on`/`off`, Numeric fields numbers and Date fields dates,
 * that no value is longer than its field holds, and that no contact sets a field twice.
 * The first problem refuses the whole request.
 */
export function validateImport(
  listId: number,
  fields: Map<number, SegmentationField>,
  body: unknown
): ImportValidation {
  const parsed = segmentationFieldImportBody.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
    return invalid(`An invalid value was supplied for contactSegmentationFieldValues${at}: ${issue.message}.`)
  }
  if (parsed.data.length === 0) {
    return invalid(
      'An invalid value was supplied for contactSegmentationFieldValues: at least one contact is required.'
    )
  }
  for (const [i, contact] of parsed.data.entries()) {
    if (!isEmailAddress(contact.emailAddress)) {
      return invalid(`An invalid value was supplied for [${i}].emailAddress: ${JSON.stringify(contact.emailAddress)}.`)
    }
    const problem = checkFieldValues(listId, fields, contact.segmentationFieldValues, `[${i}]`)
    if (problem) return { ok: false, error: problem }
  }
  return { ok: true, contacts: parsed.data }
}

/**
 * Checks one contact's profile field values as every route that takes them does: each field exists on the list,
 * check boxes get `on`/`off`, Numeric fields numbers and Date fields dates, no value is longer than its field holds,
 * and no field is set twice. `where` names the contact in the messages. Returns the first problem, if any.
 */
export function checkFieldValues(
  listId: number,
  fields: Map<number, SegmentationField>,
  values: ContactSegmentationFieldValues['segmentationFieldValues'],
  where: string
): ErrorEnvelope | undefined {
  const seen = new Set<number>()
  for (const { segmentationFieldId, value } of values) {
    if (seen.has(segmentationFieldId)) {
      return {
        status: 400,
        error: ERROR.SEGMENTATION_FIELD_DEFINED_TWICE,
        message: `Two or more values were supplied for segmentationFieldId ${segmentationFieldId} on ${where}.`
      }
    }
    seen.add(segmentationFieldId)
    const field = fields.get(segmentationFieldId)
    if (!field) {
      return invalidValue(
        `An invalid value was supplied for segmentationFieldId: ${segmentationFieldId} is not a profile field of list ${listId}.`
      )
    }
    if (field.dataType === 'CheckBox' && !CHECKBOX_VALUES.includes(value)) {
      return invalidValue(
        `An invalid value was supplied for value: ${JSON.stringify(value)} on check-box field ${segmentationFieldId}; use "on" or "off".`
      )
    }
    if (FITS[field.dataType]?.(value) === false) {
      return invalidValue(
        `An invalid value was supplied for value: ${JSON.stringify(value)} is not a valid ${field.dataType} value for field ${segmentationFieldId}.`
      )
    }
    if (value.length > field.maxLength) {
      return invalidValue(
        `An invalid value was supplied for value: field ${segmentationFieldId} holds at most ${field.maxLength} characters.`
      )
    }
  }
  return undefined
}
