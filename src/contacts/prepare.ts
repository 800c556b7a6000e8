import type { ListrakRequest } from '../api/client'
import type { Logger } from '@segment/actions-core'
import { ContactOptions, SubscriptionState, UPDATE_TYPES } from '../api/contacts'
import type { ListrakFailure } from '../api/errors'
import type { ProfileField } from '../api/profile-fields'
import type { Settings } from '../generated-types'
import { readDefinitions } from '../profile-fields/definitions'
import {
  checkFieldValues,
  isListrakId,
  logIgnoredKeys,
  MappedValue,
  MAX_LISTRAK_ID,
  MembershipSources,
  normalizeEmail,
  PayloadProblems,
  problemMessage,
  quote,
  readProfileFieldValues,
  resolveMembership
} from '../profile-fields/rules'

/** One event of a contact action as the action maps it: the contact, what to set on it, and how. */
export interface ContactInput {
  listId: number
  emailAddress: unknown
  subscriptionState?: SubscriptionState
  externalContactID?: string
  profileFieldValues?: Record<string, unknown>
  /** Where `useAudienceKey` reads the audience membership. */
  membership?: MembershipSources
  eventIds?: number[]
  overrideUnsubscribe?: boolean
  subscribedByContact?: boolean
  sendDoubleOptIn?: boolean
  updateType?: string
  newEmailAddress?: unknown
}

/** What one event asks of one contact on one list, ready to send. */
export interface ContactChange {
  listId: number
  emailAddress: string
  subscriptionState?: SubscriptionState
  externalContactID?: string
  values: Map<number, string>
  options: ContactOptions
  /** The mapping's keys that are no profile field IDs, left out. */
  ignored: string[]
}

export type PreparedContact =
  | { ok: true; change: ContactChange }
  | { ok: false; message: string; failure?: ListrakFailure }

/** An event read from its payload alone, before the list's profile fields are known: what it asks, what is wrong. */
export type ReadContact = Omit<ContactChange, 'emailAddress' | 'values'> & {
  /** The trimmed address; absent when it is not one, which the problems say. */
  emailAddress?: string
  values: Map<number, MappedValue>
  problems: PayloadProblems
}

const VALUES_FIELD = 'Profile Field Values'

/**
 * Requests Listrak refuses whatever the contact, by its error code: an unsubscribe or an address change together
 * with profile data or events. A merge never makes one, and an event that asks for one is refused before sending.
 */
export function refusedCombination(request: {
  subscriptionState?: SubscriptionState
  newEmailAddress?: string
  hasValues: boolean
  hasEvents: boolean
}): string | undefined {
  const { subscriptionState, newEmailAddress, hasValues, hasEvents } = request
  if (subscriptionState === 'Unsubscribed' && hasValues) return 'ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA'
  if (subscriptionState === 'Unsubscribed' && hasEvents) return 'ERROR_UNSUBSCRIBE_WITH_EVENTS'
  if (newEmailAddress !== undefined && hasValues) return 'ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA'
  if (newEmailAddress !== undefined && hasEvents) return 'ERROR_CHANGE_ADDRESS_WITH_EVENTS'
  return undefined
}

const COMBINATIONS: Record<string, string> = {
  ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA:
    'Subscription State "Unsubscribed" comes with Profile Field Values, and Listrak refuses to unsubscribe a contact ' +
    'and set its profile fields in one request',
  ERROR_UNSUBSCRIBE_WITH_EVENTS:
    'Subscription State "Unsubscribed" comes with Event IDs, and Listrak refuses to unsubscribe a contact and raise ' +
    'events in one request',
  ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA:
    "New Email Address comes with Profile Field Values, and Listrak refuses to change a contact's address and set " +
    'its profile fields in one request',
  ERROR_CHANGE_ADDRESS_WITH_EVENTS:
    "New Email Address comes with Event IDs, and Listrak refuses to change a contact's address and raise events in " +
    'one request'
}

const ADVICE: Record<string, string> = {
  ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA:
    'send unsubscribes through a mapping of their own, such as Unsubscribe Contact',
  ERROR_UNSUBSCRIBE_WITH_EVENTS: 'send unsubscribes through a mapping of their own, such as Unsubscribe Contact',
  ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA: 'change addresses through a mapping of their own',
  ERROR_CHANGE_ADDRESS_WITH_EVENTS: 'change addresses through a mapping of their own'
}

const optionsOf = (input: ContactInput, newEmailAddress: string | undefined): ContactOptions => ({
  eventIds: [...new Set(input.eventIds ?? [])],
  overrideUnsubscribe: input.overrideUnsubscribe === true,
  subscribedByContact: input.subscribedByContact === true,
  sendDoubleOptIn: input.sendDoubleOptIn === true,
  updateType: UPDATE_TYPES.find((t) => t === input.updateType) ?? 'Update',
  ...(newEmailAddress === undefined ? {} : { newEmailAddress })
})

/**
 * Pure: checks an event's address, new address, profile field values (with the first action's key and value rules,
 * `useAudienceKey` included) and the combination of what it asks; every problem is in the one message.
 */
export function readContact(input: ContactInput): ReadContact {
  const addresses: string[] = []
  const others: string[] = []
  const email = normalizeEmail(input.emailAddress)
  if (!email.ok) addresses.push(email.message)

  let newEmailAddress: string | undefined
  if (input.newEmailAddress !== undefined) {
    const next = normalizeEmail(input.newEmailAddress, 'New Email Address')
    if (!next.ok) addresses.push(next.message)
    // The same address (in any case) is no change: it is left out rather than sent as one.
    else if (!email.ok || next.email.toLowerCase() !== email.email.toLowerCase()) newEmailAddress = next.email
  }

  const mapped = readProfileFieldValues(input.profileFieldValues ?? {}, () => resolveMembership(input.membership ?? {}))

  const badEventIds = (input.eventIds ?? []).filter((id) => !isListrakId(id))
  if (badEventIds.length > 0) {
    others.push(
      `Event IDs: ${badEventIds.map((id) => quote(id)).join(', ')} must be whole numbers from 1 to ${MAX_LISTRAK_ID}.`
    )
  }

  const options = optionsOf(input, newEmailAddress)
  const refused = refusedCombination({
    subscriptionState: input.subscriptionState,
    newEmailAddress,
    hasValues: mapped.values.size > 0,
    hasEvents: options.eventIds.length > 0
  })
  if (refused) others.push(`${COMBINATIONS[refused]} (${refused}): ${ADVICE[refused]}.`)

  const externalContactID = input.externalContactID?.trim()
  return {
    listId: input.listId,
    ...(email.ok ? { emailAddress: email.email } : {}),
    ...(input.subscriptionState ? { subscriptionState: input.subscriptionState } : {}),
    ...(externalContactID ? { externalContactID } : {}),
    values: mapped.values,
    options,
    ignored: mapped.ignored,
    problems: { addresses, values: mapped.problems, others }
  }
}

/**
 * Pure: the event with its values checked against the list's field definitions, where they could be read, or every
 * problem of the event in one message.
 */
export function finishContact(read: ReadContact, definitions: Map<number, ProfileField> | undefined): PreparedContact {
  const { values, problems } = checkFieldValues(read.listId, read.values, definitions)
  const message = problemMessage(read.problems, VALUES_FIELD, problems)
  if (message !== '' || read.emailAddress === undefined) return { ok: false, message }
  const { problems: _problems, values: _mapped, emailAddress, ...change } = read
  return { ok: true, change: { ...change, emailAddress, values } }
}

const UNCHECKED_CONSEQUENCE = 'a value Listrak refuses then fails its contact'

/** Every event of a batch prepared: read, and its values checked against its list's profile fields (cached). */
export async function prepareContacts(
  request: ListrakRequest,
  settings: Settings,
  inputs: ContactInput[],
  logger?: Logger
): Promise<PreparedContact[]> {
  const read = inputs.map(readContact)
  logIgnoredKeys(
    logger,
    VALUES_FIELD,
    read.map((r) => r.ignored)
  )
  // Every event's values are checked, so that a refusal names them all.
  const listIds = [...new Set(read.flatMap((r) => (r.values.size > 0 ? [r.listId] : [])))]
  const definitions = await readDefinitions(request, settings.client_id, listIds, logger, UNCHECKED_CONSEQUENCE)
  return read.map((r) => finishContact(r, definitions.get(r.listId)))
}
