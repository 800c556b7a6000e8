import { createRequestClient } from '@segment/actions-core'
import type { InputField, RequestClient } from '@segment/actions-core'
import type { ListrakResult } from '../../../src/api/client'
import { getEvents, ListEvent } from '../../../src/api/events'
import { CHECKBOX, getLists, getProfileFields, ProfileField } from '../../../src/api/profile-fields'
import { getTransactionalMessages, TransactionalMessage } from '../../../src/api/transactional-messages'
import { refusedCombination } from '../../../src/contacts/prepare'
import {
  fieldValue,
  normalizeFieldName,
  parseProfileFieldId,
  parseValue,
  quote,
  USE_AUDIENCE_KEY
} from '../../../src/profile-fields/rules'
import { actionOf } from '../../pipeline/actions'
import type { RuntimeConfig } from '../../config'
import { openEventFile } from '../event-file'
import { parseEvent } from '../../ingest/events'
import { compileSubscriptions, CompiledSubscription } from '../../pipeline/subscriptions'
import { fetchListrakToken, ListrakUnreachableError, TokenCache, watchConnections } from '../../pipeline/tokens'

export type CheckStatus = 'ok' | 'error' | 'skipped' | 'match' | 'create' | 'fail'

export interface CheckRow {
  subscription: string
  list: string
  field: string
  status: CheckStatus
  reason: string
}

export const isProblem = (row: CheckRow) => row.status === 'error' || row.status === 'fail'

/** Audience keys of the sample events each subscription matches. */
async function sampleAudienceKeys(file: string, subscriptions: CompiledSubscription[], maxEventBytes: number) {
  const keys = new Map<string, Set<string>>(subscriptions.map((s) => [s.name, new Set<string>()]))
  const source = await openEventFile(file)
  for await (const item of source.items) {
    if (!item.ok) continue
    const parsed = parseEvent(item.value, maxEventBytes)
    if (!parsed.ok) continue
    const key = (parsed.event.context as { personas?: { computation_key?: unknown } } | undefined)?.personas
      ?.computation_key
    if (typeof key !== 'string' || !key) continue
    for (const subscription of subscriptions) {
      if (subscription.matches(parsed.event)) keys.get(subscription.name)?.add(key)
    }
  }
  return keys
}

/** Listrak gave no answer, so nothing was checked: the message says which URL failed and which setting names it. */
export class CheckNotRunError extends Error {
  constructor(
    readonly unreachable: ListrakUnreachableError,
    setting: string
  ) {
    super(`${unreachable.message} Nothing was checked: is ${setting} right, and can this machine reach it?`)
  }
}

/** Where a Listrak user finds a list's ID. */
const API_ID_WHERE = 'Help & Support > API ID Information in https://admin.listrak.com'

type MappedList = { kind: 'literal'; listId: number } | { kind: 'per-event' } | { kind: 'invalid'; problem: string }

/**
 * A mapping's List ID as the check reads it: a directive ({ "@path": … }) is resolved per event; a literal must be
 * a list ID, as a number or digits (Segment's mappings keep text).
 */
function mappedList(raw: unknown): MappedList {
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

const isObject = (raw: unknown) => raw !== null && typeof raw === 'object' && !Array.isArray(raw)
/** A mapping directive (`{ "@path": … }` …): the value comes from each event. */
const isDirective = (raw: unknown) => isObject(raw) && Object.keys(raw as object).some((k) => k.startsWith('@'))

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

const fieldLabel = (f: ProfileField) =>
  `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId})`

type Row = Omit<CheckRow, 'subscription' | 'list'>

/** A row per literal profile field key of a mapping, its value checked against the field; or why there is none. */
function profileFieldRows(
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
function eventRows(listId: number, raw: unknown, events: ListEvent[]): Row[] {
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
function messageRow(listId: number, raw: unknown, messages: TransactionalMessage[]): Row {
  const id = literalId(raw) as number
  const found = messages.find((m) => m.transactionalMessageId === id)
  if (!found) return { field: String(id), status: 'error', reason: `list ${listId} has no transactional message ${id}` }
  const name = found.transactionalMessageName || `Transactional message ${id}`
  const subject = found.subject ? `subject "${found.subject}"` : 'no subject'
  return { field: `Transactional Message › ${name} (${id})`, status: 'ok', reason: subject }
}

/** Rows for a required field of the action that has no default and is not mapped (the List ID has its own rule). */
function unmappedRows(fields: Record<string, InputField>, mapping: Record<string, unknown>): Row[] {
  return Object.entries(fields).flatMap(([key, field]): Row[] =>
    key !== 'listId' && field.required === true && field.default === undefined && mapping[key] === undefined
      ? [{ field: '', status: 'error', reason: `no ${field.label} is mapped (mapping.${key})` }]
      : []
  )
}

/** Reads of a list shared by the subscriptions on it: each is asked of Listrak at most once per check. */
class ListReads {
  private readonly cache = new Map<string, Promise<ListrakResult<unknown>>>()

  constructor(private readonly request: RequestClient) {}

  private read<T>(what: string, listId: number, get: () => Promise<ListrakResult<T>>): Promise<ListrakResult<T>> {
    const key = `${what}|${listId}`
    if (!this.cache.has(key)) this.cache.set(key, get())
    return this.cache.get(key) as Promise<ListrakResult<T>>
  }

  fields = (listId: number) => this.read('fields', listId, () => getProfileFields(this.request, listId))
  events = (listId: number) => this.read('events', listId, () => getEvents(this.request, listId))
  messages = (listId: number) => this.read('messages', listId, () => getTransactionalMessages(this.request, listId))
}

const MERGE_VALUES_AUDIENCE = {
  reads: false as const,
  refusal: `Merge Values take no "${USE_AUDIENCE_KEY}": Send Transactional Message reads no audience membership`
}

/**
 * The rows of a subscription of Create or Update Contact, Unsubscribe Contact or Send Transactional Message on a
 * list that exists: the list, what its mapping names literally (profile fields and their values, Event IDs, the
 * transactional message), and required fields left unmapped.
 */
async function newActionRows(subscription: CompiledSubscription, listId: number, reads: ListReads): Promise<Row[]> {
  const { mapping, partnerAction } = subscription
  const action = actionOf(partnerAction)
  const rows: Row[] = [
    { field: '', status: 'ok', reason: `${action.title}: the list exists` },
    ...unmappedRows(action.fields, mapping)
  ]
  const failed = (result: { ok: false; failure: { message: string } }): Row => ({
    field: '',
    status: 'error',
    reason: result.failure.message
  })
  if (partnerAction === 'sendTransactionalMessage' && mapping.transactionalMessageId !== undefined) {
    if (isDirective(mapping.transactionalMessageId)) {
      rows.push({ field: 'Transactional Message', status: 'skipped', reason: 'the message comes from each event' })
    } else {
      const messages = await reads.messages(listId)
      rows.push(messages.ok ? messageRow(listId, mapping.transactionalMessageId, messages.data) : failed(messages))
    }
  }
  const values = mapping.profileFieldValues
  if (values !== undefined && values !== null) {
    const merge = partnerAction === 'sendTransactionalMessage'
    const fromEachEvent = `${merge ? 'Merge Values' : 'Profile Field Values'} come from each event`
    if (isDirective(values)) {
      rows.push({ field: '', status: 'skipped', reason: fromEachEvent })
    } else if (Object.keys(values).length > 0) {
      const fields = await reads.fields(listId)
      if (!fields.ok) rows.push(failed(fields))
      else {
        const audience = merge ? MERGE_VALUES_AUDIENCE : { reads: true as const }
        const literal = values as Record<string, unknown>
        rows.push(...profileFieldRows(listId, literal, fields.data.fields, audience, fromEachEvent))
      }
    }
  }
  if (partnerAction === 'upsertContact') {
    if (mapping.eventIds !== undefined) {
      const events = await reads.events(listId)
      rows.push(...(events.ok ? eventRows(listId, mapping.eventIds, events.data) : [failed(events)]))
    }
    const refused =
      mapping.subscriptionState === 'Unsubscribed'
        ? refusedCombination({
            subscriptionState: 'Unsubscribed',
            hasValues: isObject(values) && Object.keys(values as object).length > 0,
            hasEvents:
              mapping.eventIds !== undefined && !(Array.isArray(mapping.eventIds) && mapping.eventIds.length === 0)
          })
        : undefined
    if (refused) {
      rows.push({
        field: 'Subscription State',
        status: 'error',
        reason:
          `"Unsubscribed" comes with ${refused.endsWith('EVENTS') ? 'Event IDs' : 'Profile Field Values'}, which Listrak ` +
          `refuses in one request (${refused}): send unsubscribes through a mapping of their own, such as Unsubscribe Contact`
      })
    }
  }
  return rows
}

/**
 * Checks a config against the Listrak account before traffic flows: the credentials work, every subscription's
 * list exists, every mapped profile field (or merge value) exists on it and takes the mapped value, every literal
 * Event ID and the transactional message exist on it. In audience-field mode, the audience keys of a sample file
 * are matched against the list's fields. Every list is read at most once. With `tokens`, the check takes its
 * token from that cache (the runtime's, so its deliveries reuse the token); otherwise it fetches one of its own.
 * Throws CheckNotRunError when Listrak gives no answer at all.
 */
export async function checkConfig(
  config: RuntimeConfig,
  settings: { client_id?: string; client_secret?: string },
  sampleFile?: string,
  options: { tokens?: TokenCache } = {}
): Promise<CheckRow[]> {
  const row = (subscription: string, list: string, field: string, status: CheckStatus, reason: string): CheckRow => ({
    subscription,
    list,
    field,
    status,
    reason
  })
  let accessToken: string
  try {
    accessToken = options.tokens ? await options.tokens.get() : (await fetchListrakToken(settings)).accessToken
  } catch (error) {
    if (error instanceof ListrakUnreachableError)
      throw new CheckNotRunError(error, 'listrak.authUrl (or LISTRAK_AUTH_URL)')
    return [row('(all)', '', '', 'error', (error as Error).message)]
  }
  const { request, unreachable } = watchConnections(
    createRequestClient({ headers: { authorization: `Bearer ${accessToken}` } })
  )
  const lists = await getLists(request)
  if (!lists.ok) {
    const failure = unreachable(lists.failure)
    if (failure instanceof ListrakUnreachableError)
      throw new CheckNotRunError(failure, 'listrak.apiUrl (or LISTRAK_API_URL)')
    return [row('(all)', '', '', 'error', lists.failure.message)]
  }
  const listNames = new Map(lists.data.map((l) => [l.listId, l.listName]))
  const subscriptions = compileSubscriptions(config)
  const samples = sampleFile
    ? await sampleAudienceKeys(sampleFile, subscriptions, config.ingest.maxEventBytes)
    : undefined
  const reads = new ListReads(request)

  const rows: CheckRow[] = []
  for (const subscription of subscriptions) {
    const { name, mapping } = subscription
    const mapped = mappedList(mapping.listId)
    if (mapped.kind === 'per-event') {
      rows.push(
        row(
          name,
          JSON.stringify(mapping.listId),
          '',
          'skipped',
          'the list comes from each event; it is checked when events arrive'
        )
      )
      continue
    }
    if (mapped.kind === 'invalid') {
      rows.push(row(name, JSON.stringify(mapping.listId) ?? '', '', 'error', mapped.problem))
      continue
    }
    const { listId } = mapped
    const list = `${listNames.get(listId) ?? '?'} (${listId})`
    if (!listNames.has(listId)) {
      rows.push(row(name, String(listId), '', 'error', `list ${listId} does not exist for these API credentials`))
      continue
    }
    const inTable = (r: Row) => row(name, list, r.field, r.status, r.reason)
    if (subscription.partnerAction !== 'updateEmailContactProfileFields') {
      rows.push(...(await newActionRows(subscription, listId, reads)).map(inTable))
      continue
    }
    const result = await reads.fields(listId)
    if (!result.ok) {
      rows.push(row(name, list, '', 'error', result.failure.message))
      continue
    }
    const values = mapping.profileFieldValues as Record<string, unknown> | undefined
    const mode = mapping.audienceProfileField ?? 'off'
    if (values !== undefined) {
      const fromEachEvent = 'Profile Field Values come from each event'
      rows.push(...profileFieldRows(listId, values, result.data.fields, { reads: true }, fromEachEvent).map(inTable))
    }
    if (mode === 'off') {
      if (!values || Object.keys(values).length === 0) {
        rows.push(row(name, list, '', 'error', 'no profile field is mapped'))
      }
      continue
    }
    const keys = samples?.get(name)
    if (!keys) {
      rows.push(
        row(
          name,
          list,
          '(audience key)',
          'ok',
          `fields found${mode === 'match' ? '' : ' or created'} per audience; give --sample to preview`
        )
      )
      continue
    }
    for (const key of keys) {
      const found = result.data.fields.find(
        (f) => f.dataType === CHECKBOX && normalizeFieldName(f.segmentationFieldName) === normalizeFieldName(key)
      )
      if (found) rows.push(row(name, list, fieldLabel(found), 'match', `audience "${key}"`))
      else if (mode === 'match_or_create')
        rows.push(row(name, list, key, 'create', `audience "${key}": a check box will be created`))
      else rows.push(row(name, list, key, 'fail', `audience "${key}": no check-box field of that name`))
    }
  }
  return rows
}

export function formatCheck(rows: CheckRow[]): string {
  const header: CheckRow = {
    subscription: 'subscription',
    list: 'list',
    field: 'field',
    status: 'status' as CheckStatus,
    reason: 'reason'
  }
  const columns: (keyof CheckRow)[] = ['subscription', 'list', 'field', 'status', 'reason']
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)))
  const line = (r: CheckRow) =>
    columns.map((c, i) => (i === columns.length - 1 ? r[c] : r[c].padEnd(widths[i]))).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}
