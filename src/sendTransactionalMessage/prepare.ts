import type { ListrakRequest } from '../api/client'
import type { Logger } from '@segment/actions-core'
import type { ProfileField } from '../api/profile-fields'
import type { TransactionalMessageContact } from '../api/transactional-messages'
import type { Settings } from '../generated-types'
import { readDefinitions } from '../profile-fields/definitions'
import {
  checkFieldValues,
  logIgnoredKeys,
  MappedValue,
  normalizeEmail,
  PayloadProblems,
  problemMessage,
  readProfileFieldValues
} from '../profile-fields/rules'
import type { Payload } from './generated-types'

/** One message to send: which, on which list, to whom, with which merge values. */
export interface MessageSend {
  listId: number
  transactionalMessageId: number
  contact: TransactionalMessageContact
  /** The mapping's keys that are no profile field IDs, left out. */
  ignored: string[]
}

export type PreparedMessage = { ok: true; send: MessageSend } | { ok: false; message: string }

/** An event read from its payload alone, before the list's profile fields are known: what it asks, what is wrong. */
export interface ReadMessage {
  listId: number
  transactionalMessageId: number
  /** The trimmed address; absent when it is not one, which the problems say. */
  emailAddress?: string
  values: Map<number, MappedValue>
  ignored: string[]
  problems: PayloadProblems
}

const VALUES_FIELD = 'Merge Values'

// A message goes to whoever the event names, whatever their audiences: the action reads no membership.
const NO_MEMBERSHIP = { ok: false as const, reason: 'none here: Send Transactional Message reads no audience' }

/** Pure: checks an event's recipient and merge values (the profile field key and value rules); every problem at once. */
export function readMessage(payload: Payload): ReadMessage {
  const email = normalizeEmail(payload.emailAddress)
  const mapped = readProfileFieldValues(payload.profileFieldValues ?? {}, () => NO_MEMBERSHIP)
  return {
    listId: payload.listId,
    transactionalMessageId: payload.transactionalMessageId,
    ...(email.ok ? { emailAddress: email.email } : {}),
    values: mapped.values,
    ignored: mapped.ignored,
    problems: { addresses: email.ok ? [] : [email.message], values: mapped.problems, others: [] }
  }
}

/**
 * Pure: the message with its merge values checked against the list's field definitions, where they could be read,
 * or every problem of the event in one message.
 */
export function finishMessage(read: ReadMessage, definitions: Map<number, ProfileField> | undefined): PreparedMessage {
  const { values, problems } = checkFieldValues(read.listId, read.values, definitions)
  const message = problemMessage(read.problems, VALUES_FIELD, problems)
  if (message !== '' || read.emailAddress === undefined) return { ok: false, message }
  const segmentationFieldValues = [...values].map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
  return {
    ok: true,
    send: {
      listId: read.listId,
      transactionalMessageId: read.transactionalMessageId,
      contact: { emailAddress: read.emailAddress, segmentationFieldValues },
      ignored: read.ignored
    }
  }
}

const UNCHECKED_CONSEQUENCE = 'a value Listrak refuses then fails its message'

/** Every event of a batch prepared: read, and its merge values checked against its list's profile fields (cached). */
export async function prepareMessages(
  request: ListrakRequest,
  settings: Settings,
  payloads: Payload[],
  logger?: Logger
): Promise<PreparedMessage[]> {
  const read = payloads.map(readMessage)
  logIgnoredKeys(
    logger,
    VALUES_FIELD,
    read.map((r) => r.ignored)
  )
  // Every event's merge values are checked, so that a refusal names them all.
  const listIds = [...new Set(read.flatMap((r) => (r.values.size > 0 ? [r.listId] : [])))]
  const definitions = await readDefinitions(request, settings.client_id, listIds, logger, UNCHECKED_CONSEQUENCE)
  return read.map((r) => finishMessage(r, definitions.get(r.listId)))
}
