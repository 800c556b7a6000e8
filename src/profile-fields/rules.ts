/** Pure rules of the action: profile field IDs, the values the mapping gives them, membership, addresses. */
import { validateSchema } from '@segment/actions-core'
import type { Logger } from '@segment/actions-core'
import { CHECKBOX, DATE, NUMERIC } from '../api/profile-fields'

export const USE_AUDIENCE_KEY = 'useAudienceKey'

/** Listrak's IDs (lists, profile fields, events, sender codes) are positive 32-bit integers (`int32` in its API). */
export const MAX_LISTRAK_ID = 2147483647

/** Whether a number is one of Listrak's IDs: a whole number from 1 to `MAX_LISTRAK_ID`. */
export const isListrakId = (id: unknown): id is number =>
  typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= MAX_LISTRAK_ID

const MAX_QUOTED_VALUE = 60

/** What the action knows of a profile field when the list's definitions could be read. */
export interface FieldDefinition {
  segmentationFieldId: number
  segmentationFieldName: string
  dataType: string
  maxLength?: number
}

/**
 * A profile field ID from a `profileFieldValues` key: digits only (spaces around them aside), from 1 to 2^31-1.
 * Anything else is no ID.
 */
export function parseProfileFieldId(key: string): number | undefined {
  const digits = key.trim()
  if (!/^[0-9]+$/.test(digits)) return undefined
  const id = Number(digits)
  return isListrakId(id) ? id : undefined
}

/**
 * A mapped value before the field's type is known: a boolean, the audience membership (`useAudienceKey`), or
 * text (a trimmed string, or a number written out).
 */
export type MappedValue =
  | { kind: 'boolean'; on: boolean }
  | { kind: 'audience'; on: boolean }
  | { kind: 'text'; text: string }

export interface MembershipSources {
  /** The event's `properties` (track) or `traits` (identify). */
  traitsOrProps?: Record<string, unknown>
  /** The Engage audience key, `context.personas.computation_key` by default. */
  audienceKey?: string
  /** Membership as actions-core resolved it from the raw event, when the runtime supplies it. */
  resolvedMembership?: boolean
  eventName?: string
}

/** A membership, or what the event lacks for one ("no audience key …"). */
export type Membership = { ok: true; member: boolean } | { ok: false; reason: string }

/** Why a field that depends on the membership cannot be set. */
export const membershipUnknown = (reason: string) =>
  `needs the event's audience membership, but the event has ${reason}`

/**
 * Whether the contact is in the audience, from the first source that says: the boolean the audience key
 * names in the event's properties or traits, then actions-core's resolved membership, then the event name.
 */
export function resolveMembership(sources: MembershipSources): Membership {
  const { traitsOrProps, audienceKey, resolvedMembership, eventName } = sources
  const keyed = audienceKey ? traitsOrProps?.[audienceKey] : undefined
  if (typeof keyed === 'boolean') return { ok: true, member: keyed }
  if (typeof resolvedMembership === 'boolean') return { ok: true, member: resolvedMembership }
  const name = eventName?.trim().toLowerCase()
  if (name === 'audience entered') return { ok: true, member: true }
  if (name === 'audience exited') return { ok: true, member: false }
  const keyPart = audienceKey
    ? `no true/false value at "${audienceKey}" in its properties or traits`
    : 'no audience key (context.personas.computation_key is missing)'
  return { ok: false, reason: `${keyPart}, and it is not an "Audience Entered" or "Audience Exited" event` }
}

/** One mapped value as it reads without the event: `useAudienceKey` as such, undefined when it cannot be sent. */
export function parseValue(raw: unknown): MappedValue | typeof USE_AUDIENCE_KEY | undefined {
  if (typeof raw === 'boolean') return { kind: 'boolean', on: raw }
  if (typeof raw === 'number') return Number.isFinite(raw) ? { kind: 'text', text: String(raw) } : undefined
  if (typeof raw !== 'string') return undefined
  const text = raw.trim()
  return text.toLowerCase() === USE_AUDIENCE_KEY.toLowerCase() ? USE_AUDIENCE_KEY : { kind: 'text', text }
}

export interface MappedValues {
  values: Map<number, MappedValue>
  /** Every problem of the mapping, so one fix makes the event pass. */
  problems: string[]
  /** Keys that are no profile field ID, left out. */
  ignored: string[]
}

/**
 * Reads a `profileFieldValues` mapping: each value a string, a number, a boolean or `useAudienceKey` (resolved
 * from the membership, asked only when needed). A key that is no profile field ID is left out rather than refused:
 * the destination before this one dropped such keys ("", "0", "test") and sent the others, and a mapping saved
 * under it keeps doing so.
 */
export function readProfileFieldValues(
  profileFieldValues: Record<string, unknown>,
  membership: () => Membership
): MappedValues {
  const values = new Map<number, MappedValue>()
  const problems: string[] = []
  const ignored: string[] = []
  let audience: Membership | undefined
  for (const [key, raw] of Object.entries(profileFieldValues)) {
    const id = parseProfileFieldId(key)
    if (id === undefined) {
      ignored.push(key)
      continue
    }
    const value = parseValue(raw)
    if (value === undefined) {
      problems.push(
        `field ${id} has the value ${quote(
          raw
        )}, which cannot be sent; use text, a number, true, false or "${USE_AUDIENCE_KEY}"`
      )
    } else if (value !== USE_AUDIENCE_KEY) {
      values.set(id, value)
    } else {
      audience ??= membership()
      if (audience.ok) values.set(id, { kind: 'audience', on: audience.member })
      else problems.push(`field ${id}: "${USE_AUDIENCE_KEY}" ${membershipUnknown(audience.reason)}`)
    }
  }
  return { values, problems, ignored }
}

/** What ignored keys are, for a result or a log line: `keys "test", "0" are not profile field IDs (…)`. */
export function ignoredKeysNote(keys: string[]): string {
  const quoted = keys.map((key) => quote(key)).join(', ')
  const are = keys.length === 1 ? `key ${quoted} is not a profile field ID` : `keys ${quoted} are not profile field IDs`
  return `${are} (whole numbers from 1 to ${MAX_LISTRAK_ID})`
}

/**
 * Says once for a batch which keys were left out and how many events had them, through actions-core's `logger`:
 * the mapping is what to fix, and one line says it as well as one per event would.
 */
export function logIgnoredKeys(logger: Logger | undefined, valuesLabel: string, ignored: string[][]): void {
  const events = ignored.filter((keys) => keys.length > 0)
  // Runtimes pass loggers of their own making, not all with every level.
  if (events.length === 0 || typeof logger?.warn !== 'function') return
  const keys = [...new Set(events.flat())]
  logger.warn(
    `${valuesLabel}: ${ignoredKeysNote(keys)}, left out of ${events.length} of ${ignored.length} event(s) ` +
      'while the rest of their mapping was used. Remove them from the mapping.'
  )
}

const CHECKBOX_WORDS: Record<string, 'on' | 'off'> = { on: 'on', true: 'on', off: 'off', false: 'off' }
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

export interface CalendarDate {
  year: number
  month: number
  day: number
}

/**
 * The calendar day a date as Listrak takes it names: `YYYY-MM-DD` (optionally with a time, whose offset does not
 * move the day) or `MM/DD/YYYY`, on a real calendar day; undefined for anything else.
 */
export function calendarDate(text: string): CalendarDate | undefined {
  const iso = ISO_DATE.exec(text)
  if (iso) {
    const [hours, minutes, seconds] = [iso[4], iso[5], iso[6]].map((part) => Number(part ?? 0))
    const [year, month, day] = [iso[1], iso[2], iso[3]].map(Number)
    const valid = isCalendarDate(year, month, day) && hours < 24 && minutes < 60 && seconds < 60
    return valid ? { year, month, day } : undefined
  }
  const us = US_DATE.exec(text)
  if (!us) return undefined
  const [month, day, year] = [us[1], us[2], us[3]].map(Number)
  return isCalendarDate(year, month, day) ? { year, month, day } : undefined
}

/** A date as Listrak takes it: `YYYY-MM-DD` (optionally with a time) or `MM/DD/YYYY`, on a real calendar day. */
export function isDate(text: string): boolean {
  return calendarDate(text) !== undefined
}

/**
 * How one of Listrak's APIs names the field types whose values are checked: the Email API says `CheckBox` and
 * `Numeric`, the SMS API `Checkbox` and `Number`. Any other type takes text.
 */
export interface FieldTypeNames {
  checkbox: string
  number: string
  date: string
}

export const EMAIL_FIELD_TYPES: FieldTypeNames = { checkbox: CHECKBOX, number: NUMERIC, date: DATE }

const describeType = (dataType: string, types: FieldTypeNames) =>
  dataType === types.checkbox ? 'a check box' : `a ${dataType} field`

/** How messages name a field: its ID, and with its definition its name and type. */
export const describeField = (id: number, field?: FieldDefinition, types = EMAIL_FIELD_TYPES) =>
  field ? `field ${id} ("${field.segmentationFieldName}", ${describeType(field.dataType, types)})` : `field ${id}`

export type FieldValue = { ok: true; value: string } | { ok: false; problem: string }

/**
 * The string sent to Listrak for one field. Without the field's definition a boolean or `useAudienceKey` is a
 * check box's "on"/"off", as are the words on/off/true/false; other text goes as it is. With the definition the
 * value must fit the field: a check box takes only on/off, a Numeric field a number, a Date field a date, and
 * no value may be longer than the field's `maxLength`; what does not fit is a problem naming field, type and value.
 * `types` says how the API at hand names those types.
 */
export function fieldValue(
  id: number,
  mapped: MappedValue,
  field?: FieldDefinition,
  types = EMAIL_FIELD_TYPES
): FieldValue {
  const checkbox = mapped.kind === 'text' ? CHECKBOX_WORDS[mapped.text.toLowerCase()] : mapped.on ? 'on' : 'off'
  if (!field) return { ok: true, value: checkbox ?? (mapped as { text: string }).text }
  const refuse = (wants: string): FieldValue => ({
    ok: false,
    problem: `${describeField(id, field, types)} takes ${wants}, not ${describeMapped(mapped)}`
  })
  if (field.dataType === types.checkbox) return checkbox ? { ok: true, value: checkbox } : refuse('"on" or "off"')
  if (mapped.kind === 'audience' && (field.dataType === types.number || field.dataType === types.date)) {
    return refuse(field.dataType === types.number ? 'a number' : 'a date')
  }
  const value = mapped.kind === 'text' ? mapped.text : mapped.kind === 'audience' ? checkbox : String(mapped.on)
  if (field.dataType === types.number && !NUMBER.test(value)) return refuse('a number')
  if (field.dataType === types.date && !isDate(value))
    return refuse('a date (YYYY-MM-DD, optionally with a time, or MM/DD/YYYY)')
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    return {
      ok: false,
      problem: `${describeField(id, field, types)} holds at most ${field.maxLength} characters; the value ${quote(
        value
      )} has ${value.length}`
    }
  }
  return { ok: true, value }
}

/**
 * The strings a mapping's values send, each checked by `check` against its field where the definitions are known; a
 * field missing from them is a problem too (`unknown` says it). Every problem is reported.
 */
export function checkValues<F>(
  mapped: Map<number, MappedValue>,
  definitions: Map<number, F> | undefined,
  check: (id: number, value: MappedValue, field?: F) => FieldValue,
  unknown: (id: number) => string
): { values: Map<number, string>; problems: string[] } {
  const values = new Map<number, string>()
  const problems: string[] = []
  for (const [id, value] of mapped) {
    const field = definitions?.get(id)
    if (definitions && !field) {
      problems.push(unknown(id))
      continue
    }
    const checked = check(id, value, field)
    if (checked.ok) values.set(id, checked.value)
    else problems.push(checked.problem)
  }
  return { values, problems }
}

/**
 * The strings a mapping's values send to one list. Where the list's field definitions are known, each value is
 * checked against its field, and a field the list does not have is a problem too; every problem is reported.
 */
export function checkFieldValues(
  listId: number,
  mapped: Map<number, MappedValue>,
  definitions: Map<number, FieldDefinition> | undefined
): { values: Map<number, string>; problems: string[] } {
  return checkValues(mapped, definitions, fieldValue, (id) => `list ${listId} has no profile field ${id}`)
}

function describeMapped(mapped: MappedValue): string {
  if (mapped.kind === 'audience') return `"${USE_AUDIENCE_KEY}" (the audience membership)`
  return mapped.kind === 'boolean' ? String(mapped.on) : quote(mapped.text)
}

/**
 * actions-core's own `format: email` rule: the fields no longer carry it, so that spaces around an address can be
 * trimmed first. The address goes in as an object's property: actions-core spreads what it validates into a copy,
 * one property per character for a bare string, which took ten times as long.
 */
const EMAIL_SCHEMA = { type: 'object', properties: { email: { type: 'string', format: 'email' } } } as const
const MAX_EMAIL_LENGTH = 254

type CheckedEmail = { ok: true; email: string } | { ok: false; message: string }

/**
 * The address sent to Listrak: trimmed, then held to the rule actions-core applied to the field before (so an address
 * that mapping delivered still goes, and nothing it refused reaches Listrak), and to the 254 characters an address
 * can have. A refusal names the field (`label`) and the value as it was read.
 */
export function normalizeEmail(raw: unknown, label = 'Email Address'): CheckedEmail {
  const email = typeof raw === 'string' ? raw.trim() : ''
  if (email.length > MAX_EMAIL_LENGTH) {
    const tooLong = `has ${email.length} characters; an email address has at most ${MAX_EMAIL_LENGTH}`
    return { ok: false, message: `${label} ${quote(raw)} ${tooLong}.` }
  }
  if (validateSchema({ email }, EMAIL_SCHEMA, { throwIfInvalid: false })) return { ok: true, email }
  return { ok: false, message: `${label} ${quote(raw)} is not a valid email address.` }
}

/**
 * What an event's payload alone shows wrong, in the order its one message tells them. The values' problems wait for
 * those the list's field definitions show, so that one sentence names every value.
 */
export interface PayloadProblems {
  /** The addresses', told first. */
  addresses: string[]
  values: string[]
  /** The rest, told last. */
  others: string[]
}

export const noProblems = (problems: PayloadProblems) =>
  problems.addresses.length + problems.values.length + problems.others.length === 0

/**
 * Every problem of an event in one message (empty when it has none): the payload's, and those the list's field
 * definitions show (`listProblems`), told under the field that maps the values (`valuesLabel`).
 */
export function problemMessage(problems: PayloadProblems, valuesLabel: string, listProblems: string[]): string {
  const values = [...problems.values, ...listProblems]
  const valueSentence = values.length > 0 ? [`${valuesLabel}: ${values.join('; ')}.`] : []
  return [...problems.addresses, ...valueSentence, ...problems.others].join(' ')
}

export function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX_QUOTED_VALUE ? `${text.slice(0, MAX_QUOTED_VALUE)}…` : text
}

/** Profile field names and audience keys match without case, spaces, `_` and `-`: "My Audience" is "my_audience". */
export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '')
}
