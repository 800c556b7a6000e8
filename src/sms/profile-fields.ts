import {
  checkValues,
  describeField,
  FieldDefinition,
  FieldTypeNames,
  fieldValue,
  FieldValue,
  MappedValue
} from '../profile-fields/rules'

/**
 * SMS profile field values checked against a sender code's `PhoneAttribute` definitions, with the email side's value
 * rules: a check box takes on/off/true/false (sent "on"/"off"), a Number field a number, a Date field a date, and no
 * value may be longer than the field's `maxLength`. A disabled field or one the sender code does not have is refused
 * with the code Listrak would answer. Without definitions, values go unchecked.
 */

/** Listrak's `PhoneAttribute`, as far as the checks need it. */
export interface SmsFieldDefinition {
  segmentationFieldId: number
  segmentationFieldName: string
  /** "Allowed values are `Text`, `Number`, `Checkbox`, and `Date`." */
  dataType: string
  /** Null when the field sets no limit. */
  maxLength?: number | null
  statusFlag?: string | null
}

/** How the SMS API names the field types whose values are checked. */
export const SMS_FIELD_TYPES: FieldTypeNames = { checkbox: 'Checkbox', number: 'Number', date: 'Date' }

/** `statusFlag`'s values are not documented; these words are what Listrak's codes call a field that takes none. */
const DISABLED = /disabled|purged|inactive/i

export const isDisabled = (field: SmsFieldDefinition) => DISABLED.test(field.statusFlag ?? '')

/** The definition as the shared rules read it: the type named as the SMS API documents it, whatever its case. */
function asDefinition(field: SmsFieldDefinition): FieldDefinition {
  const types = [SMS_FIELD_TYPES.checkbox, SMS_FIELD_TYPES.number, SMS_FIELD_TYPES.date]
  const dataType = types.find((type) => type.toLowerCase() === field.dataType.toLowerCase()) ?? field.dataType
  return {
    segmentationFieldId: field.segmentationFieldId,
    segmentationFieldName: field.segmentationFieldName,
    dataType,
    ...(typeof field.maxLength === 'number' ? { maxLength: field.maxLength } : {})
  }
}

/** The string sent for one SMS profile field, or the problem naming field, type and value. */
export function smsFieldValue(id: number, mapped: MappedValue, field?: SmsFieldDefinition): FieldValue {
  if (!field) return fieldValue(id, mapped, undefined, SMS_FIELD_TYPES)
  const definition = asDefinition(field)
  if (isDisabled(field)) {
    return {
      ok: false,
      problem:
        `${describeField(id, definition, SMS_FIELD_TYPES)} is ${JSON.stringify(field.statusFlag)} in Listrak and ` +
        'takes no value (ERROR_SEGMENTATION_FIELD_DISABLED)'
    }
  }
  return fieldValue(id, mapped, definition, SMS_FIELD_TYPES)
}

/**
 * The strings a mapping's values send to a sender code's profile fields, each checked against its definition when
 * the sender code's fields could be read (`definitions`); every problem is reported.
 */
export function checkSmsFieldValues(
  senderCodeId: number,
  mapped: Map<number, MappedValue>,
  definitions: Map<number, SmsFieldDefinition> | undefined
): { values: Map<number, string>; problems: string[] } {
  return checkValues(
    mapped,
    definitions,
    smsFieldValue,
    (id) => `sender code ${senderCodeId} has no profile field ${id} (ERROR_INVALID_SEGMENTATION_FIELD_ID)`
  )
}
