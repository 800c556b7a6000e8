import {
  CHECKBOX_VALUES,
  ContactSegmentationFieldValues,
  ERROR,
  ErrorEnvelope,
  SegmentationField,
  segmentationFieldImportBody
} from './contract'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** What a Numeric or Date profile field accepts: a finite number; an ISO or US date that JavaScript can read. */
const FITS: Partial<Record<SegmentationField['dataType'], (value: string) => boolean>> = {
  Numeric: (value) => value.trim() !== '' && Number.isFinite(Number(value)),
  Date: (value) => /^(\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{4})/.test(value) && !Number.isNaN(Date.parse(value))
}

export type ImportValidation =
  { ok: true; contacts: ContactSegmentationFieldValues[] } | { ok: false; error: ErrorEnvelope }

const invalid = (message: string): ImportValidation => ({
  ok: false,
  error: { status: 400, error: ERROR.INVALID_PARAMETER, message }
})

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
    if (!EMAIL.test(contact.emailAddress)) {
      return invalid(`An invalid value was supplied for [${i}].emailAddress: ${JSON.stringify(contact.emailAddress)}.`)
    }
    const seen = new Set<number>()
    for (const { segmentationFieldId, value } of contact.segmentationFieldValues) {
      if (seen.has(segmentationFieldId)) {
        return {
          ok: false,
          error: {
            status: 400,
            error: ERROR.SEGMENTATION_FIELD_DEFINED_TWICE,
            message: `Two or more values were supplied for segmentationFieldId ${segmentationFieldId} on [${i}].`
          }
        }
      }
      seen.add(segmentationFieldId)
      const field = fields.get(segmentationFieldId)
      if (!field) {
        return invalid(
          `An invalid value was supplied for segmentationFieldId: ${segmentationFieldId} is not a profile field of list ${listId}.`
        )
      }
      if (field.dataType === 'CheckBox' && !CHECKBOX_VALUES.includes(value)) {
        return invalid(
          `An invalid value was supplied for value: ${JSON.stringify(value)} on check-box field ${segmentationFieldId}; use "on" or "off".`
        )
      }
      if (FITS[field.dataType]?.(value) === false) {
        return invalid(
          `An invalid value was supplied for value: ${JSON.stringify(value)} is not a valid ${field.dataType} value for field ${segmentationFieldId}.`
        )
      }
      if (value.length > field.maxLength) {
        return invalid(
          `An invalid value was supplied for value: field ${segmentationFieldId} holds at most ${field.maxLength} characters.`
        )
      }
    }
  }
  return { ok: true, contacts: parsed.data }
}
