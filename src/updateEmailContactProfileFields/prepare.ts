import type { ListrakRequest } from '../api/client'
import type { Logger } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import type { ProfileField } from '../api/profile-fields'
import type { Settings } from '../generated-types'
import type { Payload } from './generated-types'
import { AudienceFieldMode, FieldResolution, listFieldCache, readDefinitions } from '../profile-fields/definitions'
import {
  checkFieldValues,
  ignoredKeysNote,
  logIgnoredKeys,
  MappedValue,
  Membership,
  membershipUnknown,
  noProblems,
  normalizeEmail,
  PayloadProblems,
  problemMessage,
  readProfileFieldValues,
  resolveMembership,
  USE_AUDIENCE_KEY
} from '../profile-fields/rules'

/** One event ready to send: its list, its address and the string each profile field gets. */
export interface ValidEvent {
  listId: number
  emailAddress: string
  values: Map<number, string>
}

/**
 * An event ready to send, with the mapping's keys it left out (no profile field IDs), or why it is refused (with
 * Listrak's failure when Listrak's answer is the reason).
 */
export type PreparedEvent =
  | { ok: true; event: ValidEvent; ignored: string[] }
  | { ok: false; message: string; failure?: ListrakFailure }

/** An event read from its payload alone, before the list's profile fields are known: what it asks, what is wrong. */
export interface ReadEvent {
  listId: number
  /** The trimmed address; absent when it is not one, which the problems say. */
  emailAddress?: string
  values: Map<number, MappedValue>
  /** The mapping's keys that are no profile field IDs, left out. */
  ignored: string[]
  /** Set when the profile field comes from the audience key: which audience, and in or out. */
  audience?: { key: string; member: boolean }
  problems: PayloadProblems
}

const AUDIENCE_FIELD = 'Profile field from audience key'
const VALUES_FIELD = 'Profile Field Values'

const UNCHECKED_CONSEQUENCE = 'a value Listrak refuses then fails its whole import'

/** Pure: checks an event's address and mapped values, and the audience it names when the mapping asks for one. */
export function readEvent(payload: Payload, resolvedMembership?: boolean): ReadEvent {
  const others: string[] = []
  const email = normalizeEmail(payload.emailAddress)
  let membership: Membership | undefined
  const memberOf = () =>
    (membership ??= resolveMembership({
      traitsOrProps: payload.traits_or_props,
      audienceKey: payload.segment_audience_key,
      resolvedMembership,
      eventName: payload.event_name
    }))
  const mapped = readProfileFieldValues(payload.profileFieldValues ?? {}, memberOf)

  let audience: { key: string; member: boolean } | undefined
  if ((payload.audienceProfileField ?? 'off') !== 'off') {
    const key = payload.segment_audience_key?.trim()
    const member = memberOf()
    if (!key) {
      others.push(
        `${AUDIENCE_FIELD}: the event has no audience key (segment_audience_key, context.personas.computation_key by default).`
      )
    } else if (!member.ok) {
      others.push(`${AUDIENCE_FIELD} ${membershipUnknown(member.reason)}.`)
    } else {
      audience = { key, member: member.member }
    }
  } else if (mapped.values.size === 0 && mapped.problems.length === 0) {
    others.push(
      mapped.ignored.length > 0
        ? `${VALUES_FIELD} has nothing to send: ${ignoredKeysNote(mapped.ignored)}.`
        : `${VALUES_FIELD} is empty: map at least one profile field ID to a value or "${USE_AUDIENCE_KEY}".`
    )
  }
  return {
    listId: payload.listId,
    ...(email.ok ? { emailAddress: email.email } : {}),
    values: mapped.values,
    ignored: mapped.ignored,
    ...(audience ? { audience } : {}),
    problems: { addresses: email.ok ? [] : [email.message], values: mapped.problems, others }
  }
}

/**
 * Pure: the strings an event sends, or every problem of the event in one message. With the list's field definitions
 * each value is checked against its field, whatever else is wrong; the audience field, found or created, is added
 * unless Profile Field Values sets the same field.
 */
export function finishEvent(
  read: ReadEvent,
  definitions: Map<number, ProfileField> | undefined,
  audienceField: FieldResolution | undefined
): PreparedEvent {
  const { values, problems } = checkFieldValues(read.listId, read.values, definitions)
  const message = problemMessage(read.problems, VALUES_FIELD, problems)
  if (message !== '' || read.emailAddress === undefined) return { ok: false, message }
  if (read.audience) {
    if (!audienceField) {
      return { ok: false, message: `${AUDIENCE_FIELD}: no field was looked up for "${read.audience.key}".` }
    }
    if (!audienceField.ok) return { ok: false, message: audienceField.failure.message, failure: audienceField.failure }
    if (!values.has(audienceField.fieldId)) values.set(audienceField.fieldId, read.audience.member ? 'on' : 'off')
  }
  return { ok: true, event: { listId: read.listId, emailAddress: read.emailAddress, values }, ignored: read.ignored }
}

/** Looks up (or creates) the audience fields a batch needs: one resolution per list, lists concurrently. */
async function resolveAudienceFields(
  request: ListrakRequest,
  clientId: string,
  mode: AudienceFieldMode,
  events: { listId: number; audience?: { key: string } }[]
): Promise<Map<number, Map<string, FieldResolution>>> {
  const keysByList = new Map<number, Set<string>>()
  for (const { listId, audience } of events) {
    if (!audience) continue
    let keys = keysByList.get(listId)
    if (!keys) keysByList.set(listId, (keys = new Set()))
    keys.add(audience.key)
  }
  const entries = await Promise.all(
    [...keysByList].map(
      async ([listId, keys]) =>
        [listId, await listFieldCache.resolve(request, clientId, listId, [...keys], mode)] as const
    )
  )
  return new Map(entries)
}

/**
 * Every event of a batch prepared: read and validated, its values checked against the list's profile fields
 * (read once per list, cached), and its audience field looked up where the mapping asks.
 */
export async function prepareEvents(
  request: ListrakRequest,
  settings: Settings,
  payloads: Payload[],
  memberships: (boolean | undefined)[],
  logger?: Logger
): Promise<PreparedEvent[]> {
  const read = payloads.map((payload, i) => readEvent(payload, memberships[i]))
  logIgnoredKeys(
    logger,
    VALUES_FIELD,
    read.map((r) => r.ignored)
  )
  // Every event's values are checked, so that a refusal names them all; a field is looked up (or created) only for
  // an event the payload alone does not refuse.
  const listsWithValues = [...new Set(read.filter((r) => r.values.size > 0).map((r) => r.listId))]
  const unrefused = read.filter((r) => noProblems(r.problems))
  // One mapping per batch, so one mode.
  const mode = payloads[0]?.audienceProfileField === 'match_or_create' ? 'match_or_create' : 'match'
  const [definitions, audienceFields] = await Promise.all([
    readDefinitions(request, settings.client_id, listsWithValues, logger, UNCHECKED_CONSEQUENCE),
    resolveAudienceFields(request, settings.client_id, mode, unrefused)
  ])
  return read.map((r) => {
    const audienceField = r.audience ? audienceFields.get(r.listId)?.get(r.audience.key) : undefined
    return finishEvent(r, definitions.get(r.listId), audienceField)
  })
}
