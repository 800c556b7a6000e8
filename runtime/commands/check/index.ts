import { createRequestClient } from '@segment/actions-core'
import { withUrls } from '../../../src/api/client'
import { environmentUrls } from '../../destination'
import { CHECKBOX, getLists } from '../../../src/api/profile-fields'
import { normalizeFieldName } from '../../../src/profile-fields/rules'
import type { RuntimeConfig } from '../../config'
import { openEventFile } from '../event-file'
import { parseEvent } from '../../ingest/events'
import { compileSubscriptions, CompiledSubscription } from '../../pipeline/subscriptions'
import { fetchListrakToken, ListrakUnreachableError, TokenCache, watchConnections } from '../../pipeline/tokens'
import { ListReads, newActionRows } from './action-rows'
import { fieldLabel, mappedList, profileFieldRows } from './mapped-values'
import type { CheckRow, CheckStatus, Row } from './rows'

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
  const watched = watchConnections(createRequestClient({ headers: { authorization: `Bearer ${accessToken}` } }))
  const { unreachable } = watched
  const request = withUrls(watched.request, environmentUrls)
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
