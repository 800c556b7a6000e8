import type { InputField } from '@segment/actions-core'
import type { ListEvent } from '../../../src/api/events'
import { CHECKBOX, ProfileField } from '../../../src/api/profile-fields'
import type { TransactionalMessage } from '../../../src/api/transactional-messages'
import { fieldValue, parseProfileFieldId, parseValue, quote, USE_AUDIENCE_KEY } from '../../../src/profile-fields/rules'
import type { Row } from './rows'

/** Where a Listrak user finds a list's ID. */
const API_ID_WHERE = 'Help & Support > API ID Information in https://admin.listrak.com'

type MappedList = { kind: 'literal'; listId: number } | { kind: 'per-event' } | { kind: 'invalid'; problem: string }

/**
 * A mapping's List ID as the check reads it: a directive ({ "@path": … }) is resolved per event; a literal must be
 * a list ID, as a number or digits (Segment's mappings keep text).
 */
export function mappedList(raw: unknown): MappedList {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return { kind: 'per-event' }
  const listId = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
  if (Number.isInteger(listId) && listId > 0) return { kind: 'literal', listId }
  if (raw === undefined) return { kind: 'invalid', problem: 'no List ID is mapped (mapping.listId)' }
  return {
    kind: 'invalid',
    problem:
      `${JSON.stringify(raw)} is not a list ID: give the list's ID, a whole number (${API_ID_WHERE}), ` +
      'or map it from each event, e.g. { "@path": "$.properties.list_id" }'
  }
}

export const isObject = (raw: unknown) => raw !== null && typeof raw === 'object' && !Array.isArray(raw)
/** A mapping directive (`{ "@path": … }` …): the value comes from each event. */
export const isDirective = (raw: unknown) => isObject(raw) && Object.keys(raw as object).some((k) => k.startsWith('@'))

/**
 * Whether a literal mapped value fits its field, by the action's own rules (`useAudienceKey` as on and off
 * alike, where the action reads an audience membership); a value that comes from each event (a directive) is
 * checked when the events arrive.
 */
function checkValue(
  id: number,
  raw: unknown,
  field: ProfileField,
  audience: { reads: true } | { reads: false; refusal: string }
): { ok: boolean; reason: string } {
  const type = field.dataType === CHECKBOX ? 'check box' : `${field.dataType} field`
  if (isObject(raw)) return { ok: true, reason: `${type}; the value comes from each event` }
  const parsed = parseValue(raw)
  if (parsed === undefined) return { ok: false, reason: `the value ${quote(raw)} cannot be sent` }
  if (parsed === USE_AUDIENCE_KEY && !audience.reads) return { ok: false, reason: audience.refusal }
  const value = fieldValue(id, parsed === USE_AUDIENCE_KEY ? { kind: 'audience', on: true } : parsed, field)
  return value.ok ? { ok: true, reason: type } : { ok: false, reason: value.problem }
}

export const fieldLabel = (f: ProfileField) =>
  `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId})`

/** A row per literal profile field key of a mapping, its value checked against the field; or why there is none. */
export function profileFieldRows(
  listId: number,
  values: Record<string, unknown>,
  fields: ProfileField[],
  audience: Parameters<typeof checkValue>[3],
  fromEachEvent: string
): Row[] {
  // A mapping directive ({ "@path": … }) instead of literal keys: the fields come from each event.
  if (Object.keys(values).some((k) => k.startsWith('@')))
    return [{ field: '', status: 'skipped', reason: fromEachEvent }]
  const byId = new Map(fields.map((f) => [f.segmentationFieldId, f]))
  return Object.entries(values).map(([key, raw]): Row => {
    const id = parseProfileFieldId(key)
    const found = id === undefined ? undefined : byId.get(id)
    if (id === undefined) return { field: key, status: 'error', reason: `"${key}" is not a profile field ID` }
    if (!found) return { field: key, status: 'error', reason: `list ${listId} has no profile field ${id}` }
    const value = checkValue(id, raw, found, audience)
    return { field: fieldLabel(found), status: value.ok ? 'ok' : 'error', reason: value.reason }
  })
}

/** A literal ID as the action takes it: a whole number, or digits (actions-core turns them into one). */
function literalId(raw: unknown): number | undefined {
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
  return Number.isInteger(id) && id > 0 ? id : undefined
}

/** A row per literal Event ID: the event exists on the list and is not blocked. */
export function eventRows(listId: number, raw: unknown, events: ListEvent[]): Row[] {
  if (raw === undefined) return []
  if (!Array.isArray(raw)) {
    const ids = literalId(raw) === undefined ? [] : [raw]
    if (ids.length === 0) return [{ field: 'Event IDs', status: 'skipped', reason: 'the events come from each event' }]
    return eventRows(listId, ids, events)
  }
  const byId = new Map(events.map((e) => [e.eventId, e]))
  return raw.map((item): Row => {
    if (isDirective(item)) return { field: 'Event IDs', status: 'skipped', reason: 'this event comes from each event' }
    const id = literalId(item) as number
    const found = byId.get(id)
    if (!found) return { field: String(item), status: 'error', reason: `list ${listId} has no event ${id}` }
    const field = `Event › ${found.eventName || `Event ${id}`} (${id})`
    if (found.status && found.status !== 'Active') {
      return { field, status: 'error', reason: `event ${id} is ${found.status}: Listrak does not raise it` }
    }
    return { field, status: 'ok', reason: 'raised with each contact written' }
  })
}

/** The row of the transactional message a mapping sends: it exists on the list, named with its subject. */
export function messageRow(listId: number, raw: unknown, messages: TransactionalMessage[]): Row {
  const id = literalId(raw) as number
  const found = messages.find((m) => m.transactionalMessageId === id)
  if (!found) return { field: String(id), status: 'error', reason: `list ${listId} has no transactional message ${id}` }
  const name = found.transactionalMessageName || `Transactional message ${id}`
  const subject = found.subject ? `subject "${found.subject}"` : 'no subject'
  return { field: `Transactional Message › ${name} (${id})`, status: 'ok', reason: subject }
}

/** Rows for a required field of the action that has no default and is not mapped (the List ID has its own rule). */
export function unmappedRows(fields: Record<string, InputField>, mapping: Record<string, unknown>): Row[] {
  return Object.entries(fields).flatMap(([key, field]): Row[] =>
    key !== 'listId' && field.required === true && field.default === undefined && mapping[key] === undefined
      ? [{ field: '', status: 'error', reason: `no ${field.label} is mapped (mapping.${key})` }]
      : []
  )
}
