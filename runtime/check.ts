import { createRequestClient } from '@segment/actions-core'
import type { InputField } from '@segment/actions-core'
import definition from '../src'
import { CHECKBOX, getLists, getProfileFields, ProfileField } from '../src/api/profile-fields'
import {
  fieldValue,
  normalizeFieldName,
  parseProfileFieldId,
  parseValue,
  quote,
  USE_AUDIENCE_KEY
} from '../src/updateEmailContactProfileFields/profile-fields'
import type { RuntimeConfig } from './config'
import { openEventFile } from './event-file'
import { parseEvent } from './events'
import { compileSubscriptions, CompiledSubscription } from './subscriptions'
import { fetchListrakToken, ListrakUnreachableError, TokenCache, watchConnections } from './tokens'

export type CheckStatus = 'ok' | 'error' | 'skipped' | 'match' | 'create' | 'fail'

export interface CheckRow {
  subscription: string
  list: string
  field: string
  status: CheckStatus
  reason: string
}

export const isProblem = (row: CheckRow) => row.status === 'error' || row.status === 'fail'

const fields = definition.actions.updateEmailContactProfileFields.fields as Record<string, InputField>

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

/**
 * Whether a literal mapped value fits its field, by the action's own rules (`useAudienceKey` as on and off
 * alike); a value that comes from each event (a directive) is checked when the events arrive.
 */
function checkValue(id: number, raw: unknown, field: ProfileField): { ok: boolean; reason: string } {
  const type = field.dataType === CHECKBOX ? 'check box' : `${field.dataType} field`
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return { ok: true, reason: `${type}; the value comes from each event` }
  }
  const parsed = parseValue(raw)
  if (parsed === undefined) return { ok: false, reason: `the value ${quote(raw)} cannot be sent` }
  const value = fieldValue(id, parsed === USE_AUDIENCE_KEY ? { kind: 'audience', on: true } : parsed, field)
  return value.ok ? { ok: true, reason: type } : { ok: false, reason: value.problem }
}

/**
 * Checks a config against the Listrak account before traffic flows: the credentials work, every subscription's
 * list exists, and every mapped profile field exists on it and takes the mapped value. In audience-field mode,
 * the audience keys of a sample file are matched against the list's fields. With `tokens`, the check takes its
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
  const subscriptions = compileSubscriptions(config, fields)
  const samples = sampleFile
    ? await sampleAudienceKeys(sampleFile, subscriptions, config.ingest.maxEventBytes)
    : undefined
  const fieldsOf = new Map<number, Promise<Awaited<ReturnType<typeof getProfileFields>>>>()

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
    if (!fieldsOf.has(listId)) fieldsOf.set(listId, getProfileFields(request, listId))
    const result = await (fieldsOf.get(listId) as ReturnType<typeof getProfileFields>)
    if (!result.ok) {
      rows.push(row(name, list, '', 'error', result.failure.message))
      continue
    }
    const byId = new Map(result.data.fields.map((f) => [f.segmentationFieldId, f]))
    const label = (f: ProfileField) =>
      `${f.group.segmentationFieldGroupName} › ${f.segmentationFieldName} (${f.segmentationFieldId})`
    const values = mapping.profileFieldValues as Record<string, unknown> | undefined
    const mode = mapping.audienceProfileField ?? 'off'
    // A mapping directive ({ "@path": … }) instead of literal keys: the fields come from each event.
    if (values && !Object.keys(values).some((k) => k.startsWith('@'))) {
      for (const [key, raw] of Object.entries(values)) {
        const id = parseProfileFieldId(key)
        const found = id === undefined ? undefined : byId.get(id)
        if (id === undefined) rows.push(row(name, list, key, 'error', `"${key}" is not a profile field ID`))
        else if (!found) rows.push(row(name, list, key, 'error', `list ${listId} has no profile field ${id}`))
        else {
          const value = checkValue(id, raw, found)
          rows.push(row(name, list, label(found), value.ok ? 'ok' : 'error', value.reason))
        }
      }
    } else if (values !== undefined) {
      rows.push(row(name, list, '', 'skipped', 'Profile Field Values come from each event'))
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
      if (found) rows.push(row(name, list, label(found), 'match', `audience "${key}"`))
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
