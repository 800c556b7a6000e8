import type { Logger, RequestClient } from '@segment/actions-core'
import type { ProfileField } from '../api/profile-fields'
import type { TransactionalMessageContact } from '../api/transactional-messages'
import type { Settings } from '../generated-types'
import { readDefinitions } from '../updateEmailContactProfileFields/list-fields'
import {
  checkFieldValues,
  MappedValue,
  normalizeEmail,
  readProfileFieldValues
} from '../updateEmailContactProfileFields/profile-fields'
import type { Payload } from './generated-types'

/** One message to send: which, on which list, to whom, with which merge values. */
export interface MessageSend {
  listId: number
  transactionalMessageId: number
  contact: TransactionalMessageContact
}

export type PreparedMessage = { ok: true; send: MessageSend } | { ok: false; message: string }

/** An event read from its payload alone, before the list's profile fields are known. */
export type ReadMessage =
  | { ok: true; listId: number; transactionalMessageId: number; emailAddress: string; values: Map<number, MappedValue> }
  | { ok: false; message: string }

// A message goes to whoever the event names, whatever their audiences: the action reads no membership.
const NO_MEMBERSHIP = { ok: false as const, reason: 'none here: Send Transactional Message reads no audience' }

/** Pure: checks an event's recipient and merge values (the profile field key and value rules); every problem at once. */
export function readMessage(payload: Payload): ReadMessage {
  const problems: string[] = []
  const email = normalizeEmail(payload.emailAddress)
  if (!email.ok) problems.push(email.message)
  const mapped = readProfileFieldValues(payload.profileFieldValues ?? {}, () => NO_MEMBERSHIP)
  if (mapped.problems.length > 0) problems.push(`Merge Values: ${mapped.problems.join('; ')}.`)
  if (!email.ok || problems.length > 0) return { ok: false, message: problems.join(' ') }
  return {
    ok: true,
    listId: payload.listId,
    transactionalMessageId: payload.transactionalMessageId,
    emailAddress: email.email,
    values: mapped.values
  }
}

/** Pure: the message with its merge values checked against the list's field definitions, where they could be read. */
export function finishMessage(
  read: Extract<ReadMessage, { ok: true }>,
  definitions: Map<number, ProfileField> | undefined
): PreparedMessage {
  const { values, problems } = checkFieldValues(read.listId, read.values, definitions)
  if (problems.length > 0) return { ok: false, message: `Merge Values: ${problems.join('; ')}.` }
  const segmentationFieldValues = [...values].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
  return {
    ok: true,
    send: {
      listId: read.listId,
      transactionalMessageId: read.transactionalMessageId,
      contact: { emailAddress: read.emailAddress, segmentationFieldValues }
    }
  }
}

const UNCHECKED_CONSEQUENCE = 'a value Listrak refuses then fails its message'

/** Every event of a batch prepared: read, and its merge values checked against its list's profile fields (cached). */
export async function prepareMessages(
  request: RequestClient,
  settings: Settings,
  payloads: Payload[],
  logger?: Logger
): Promise<PreparedMessage[]> {
  const read = payloads.map(readMessage)
  const listIds = [...new Set(read.flatMap((r) => (r.ok && r.values.size > 0 ? [r.listId] : [])))]
  const definitions = await readDefinitions(request, settings.client_id, listIds, logger, UNCHECKED_CONSEQUENCE)
  return read.map((r) => (r.ok ? finishMessage(r, definitions.get(r.listId)) : r))
}
