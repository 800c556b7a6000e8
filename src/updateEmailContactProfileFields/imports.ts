import { MultiStatusResponse } from '@segment/actions-core'
import type { ListrakFailure } from '../api/errors'
import type { ContactSegmentationFieldValues, ImportOutcome } from '../api/import'
import type { FieldResolution } from './audience-fields'
import type { Payload } from './generated-types'
import {
  CheckboxValue,
  Membership,
  membershipUnknown,
  normalizeEmail,
  resolveMembership,
  resolveProfileFieldValues
} from './profile-fields'

/** Contacts in one import request: Listrak refuses large payloads (with a 404), so imports are cut here. */
export const MAX_CONTACTS_PER_IMPORT = 1000

export interface ValidEvent {
  listId: number
  emailAddress: string
  values: Map<number, CheckboxValue>
}

export type PreparedEvent =
  | {
      ok: true
      event: ValidEvent
      /** Set when the profile field comes from the audience key: which audience, and in or out. */
      audience?: { key: string; member: boolean }
    }
  | { ok: false; message: string; failure?: ListrakFailure }

const AUDIENCE_FIELD = 'Profile field from audience key'

/** Validates one mapped event and resolves its profile field values, all but the audience key's field. */
export function prepareEvent(payload: Payload, resolvedMembership?: boolean): PreparedEvent {
  const email = normalizeEmail(payload.emailAddress)
  if (!email.ok) return email
  let membership: Membership | undefined
  const memberOf = () =>
    (membership ??= resolveMembership({
      traitsOrProps: payload.traits_or_props,
      audienceKey: payload.segment_audience_key,
      resolvedMembership,
      eventName: payload.event_name
    }))
  const fromAudience = (payload.audienceProfileField ?? 'off') !== 'off'
  const resolution = resolveProfileFieldValues(payload.profileFieldValues ?? {}, memberOf, { allowEmpty: fromAudience })
  if (!resolution.ok) return resolution
  const event = { listId: payload.listId, emailAddress: email.email, values: resolution.values }
  if (!fromAudience) return { ok: true, event }
  const key = payload.segment_audience_key?.trim()
  if (!key) {
    return {
      ok: false,
      message: `${AUDIENCE_FIELD}: the event has no audience key (segment_audience_key, context.personas.computation_key by default).`
    }
  }
  const member = memberOf()
  if (!member.ok) return { ok: false, message: `${AUDIENCE_FIELD} ${membershipUnknown(member.reason)}.` }
  return { ok: true, event, audience: { key, member: member.member } }
}

/**
 * Adds each event's audience field, found (or created) per list, to its values; an explicit entry in Profile
 * Field Values for the same field wins. An event whose field could not be had takes the reason instead.
 */
export function applyAudienceFields(
  events: PreparedEvent[],
  resolutions: Map<number, Map<string, FieldResolution>>
): PreparedEvent[] {
  return events.map((prepared) => {
    if (!prepared.ok || !prepared.audience) return prepared
    const { event, audience } = prepared
    const resolution = resolutions.get(event.listId)?.get(audience.key)
    if (!resolution) return { ok: false, message: `${AUDIENCE_FIELD}: no field was looked up for "${audience.key}".` }
    if (!resolution.ok) return { ok: false, message: resolution.failure.message, failure: resolution.failure }
    const values = new Map(event.values)
    if (!values.has(resolution.fieldId)) values.set(resolution.fieldId, audience.member ? 'on' : 'off')
    return { ok: true, event: { ...event, values } }
  })
}

export interface PlannedImport {
  listId: number
  contacts: ContactSegmentationFieldValues[]
  /** For each contact, the input indexes of the events merged into it. */
  eventIndexes: number[][]
}

interface MergedContact {
  emailAddress: string
  values: Map<number, CheckboxValue>
  eventIndexes: number[]
}

/**
 * Groups valid events by list, merges events for the same address (compared without case; for each field the
 * later event wins) and cuts each list into imports of at most `maxContacts` contacts.
 */
export function planImports(events: PreparedEvent[], maxContacts = MAX_CONTACTS_PER_IMPORT): PlannedImport[] {
  const lists = new Map<number, Map<string, MergedContact>>()
  events.forEach((prepared, index) => {
    if (!prepared.ok) return
    const { listId, emailAddress, values } = prepared.event
    let contacts = lists.get(listId)
    if (!contacts) lists.set(listId, (contacts = new Map()))
    const key = emailAddress.toLowerCase()
    const contact = contacts.get(key)
    if (!contact) {
      contacts.set(key, { emailAddress, values: new Map(values), eventIndexes: [index] })
      return
    }
    for (const [id, value] of values) contact.values.set(id, value)
    contact.eventIndexes.push(index)
  })

  const imports: PlannedImport[] = []
  for (const [listId, contacts] of lists) {
    const merged = [...contacts.values()]
    for (let start = 0; start < merged.length; start += maxContacts) {
      const chunk = merged.slice(start, start + maxContacts)
      imports.push({
        listId,
        contacts: chunk.map(({ emailAddress, values }) => ({
          emailAddress,
          segmentationFieldValues: [...values].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
        })),
        eventIndexes: chunk.map((contact) => contact.eventIndexes)
      })
    }
  }
  return imports
}

/**
 * One result per input event, in input order: refused events carry their reason; the others carry the outcome
 * of the import that held their contact, and as `sent` that contact with its list.
 */
export function toMultiStatus(
  events: PreparedEvent[],
  imports: PlannedImport[],
  outcomes: ImportOutcome[]
): MultiStatusResponse {
  const response = new MultiStatusResponse()
  events.forEach((prepared, index) => {
    if (!prepared.ok) {
      const { status, errortype, body } = prepared.failure ?? { status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' }
      response.setErrorResponseAtIndex(index, {
        status,
        errortype,
        errormessage: prepared.message,
        ...(body === undefined ? {} : { body })
      })
    }
  })
  imports.forEach((planned, i) => {
    const outcome = outcomes[i]
    planned.eventIndexes.forEach((indexes, c) => {
      const sent = { listId: planned.listId, ...planned.contacts[c] }
      for (const index of indexes) {
        if (outcome.ok) {
          response.setSuccessResponseAtIndex(index, { status: outcome.status, sent, body: outcome.body })
        } else {
          const { status, errortype, message, body } = outcome.failure
          response.setErrorResponseAtIndex(index, {
            status,
            errortype,
            errormessage: message,
            sent,
            ...(body === undefined ? {} : { body })
          })
        }
      }
    })
  })
  return response
}
