import { createHash, randomUUID } from 'crypto'
import { ERROR } from './contract'
import type {
  ContactBody,
  ContactQuery,
  ContactResource,
  ErrorEnvelope,
  SegmentationField,
  SubscriptionState,
  UpdateType
} from './contract'
import { checkFieldValues, isEmailAddress } from './validate-import'

/** How a contact was subscribed or unsubscribed, as the sandbox records it (Listrak's own wording is not published). */
export const METHOD = {
  /** Created by a profile field import. */
  IMPORT: 'Import',
  /** Subscribed or unsubscribed by a list import (`ListImport`). */
  LIST_IMPORT: 'List import',
  /** Created, resubscribed or unsubscribed through the contact route. */
  API: 'API',
  /** Subscribed through the contact route with `subscribedByContact=true`. */
  BY_CONTACT: 'API, by the contact'
} as const

export interface StoredContact {
  emailAddress: string
  /** Listrak's email key: the contact's for good, whatever its address becomes. */
  emailKey: string
  /** field ID → value; a field without a value is absent. */
  fields: Map<number, string>
  subscriptionState: SubscriptionState
  subscribeDate: string
  resubscribeDate: string | null
  subscribeMethod: string
  unsubscribeDate: string | null
  unsubscribeMethod: string | null
  externalContactID: string | null
  /** Events raised for the contact by the contact route, oldest first. */
  events: { eventId: number; raisedAt: string }[]
  /** When a double opt-in email would have gone out: a contact created with `sendDoubleOptIn=true`. */
  doubleOptInSentAt: string | null
}

/** A subscribed contact with no profile field values. */
export function newContact(emailAddress: string, subscribeMethod: string, at: string): StoredContact {
  return {
    emailAddress,
    emailKey: randomUUID().replace(/-/g, ''),
    fields: new Map(),
    subscriptionState: 'Subscribed',
    subscribeDate: at,
    resubscribeDate: null,
    subscribeMethod,
    unsubscribeDate: null,
    unsubscribeMethod: null,
    externalContactID: null,
    events: [],
    doubleOptInSentAt: null
  }
}

/** Why an address is never subscribed to a list: banned from it, or on a suppression list bound to it. */
export type Blocked = 'Banned' | 'Suppressed'

/** The list as the contact route sees it. */
export interface ContactList {
  listId: number
  fields: Map<number, SegmentationField>
  eventIds: Set<number>
  /** Lower-cased address → why it is never subscribed. */
  blocked: ReadonlyMap<string, Blocked>
}

/** Why `emailAddress` may not be subscribed to the list, in any case; undefined when it may. */
export const blockedAddress = (list: Pick<ContactList, 'blocked'>, emailAddress: string): Blocked | undefined =>
  list.blocked.get(emailAddress.toLowerCase())

export type ContactWrite = { ok: true; contact: StoredContact } | { ok: false; error: ErrorEnvelope }

const refuse = (error: string, message: string): ContactWrite => ({ ok: false, error: { status: 400, error, message } })
const invalid = (message: string) => refuse(ERROR.INVALID_PARAMETER, message)

/**
 * `updateType` on the submitted profile fields; fields not submitted keep their values, whatever the type. Listrak's
 * description names the types without defining them, so this is the sandbox's reading, one that tells them apart:
 * `Update` writes each submitted value but never blanks a field, `Append` fills only fields that hold no value yet,
 * `Overwrite` writes each submitted value, an empty one blanking the field.
 */
export function applyValues(
  fields: Map<number, string>,
  values: ContactBody['segmentationFieldValues'],
  type: UpdateType
) {
  for (const { segmentationFieldId: id, value } of values) {
    if (type === 'Update' && value === '') continue
    if (type === 'Append' && (fields.get(id) ?? '') !== '') continue
    if (value === '') fields.delete(id)
    else fields.set(id, value)
  }
}

/** Why Listrak would refuse this write, before anything changes; undefined when it would take it. */
function refusal(
  list: ContactList,
  store: Map<string, StoredContact>,
  body: ContactBody,
  query: ContactQuery
): ContactWrite | undefined {
  const { emailAddress, segmentationFieldValues: values } = body
  if (!isEmailAddress(emailAddress)) {
    return invalid(`An invalid value was supplied for emailAddress: ${JSON.stringify(emailAddress)}.`)
  }
  const { newEmailAddress, eventIds } = query
  if (newEmailAddress !== undefined && !isEmailAddress(newEmailAddress)) {
    return invalid(`An invalid value was supplied for newEmailAddress: ${JSON.stringify(newEmailAddress)}.`)
  }
  const problem = checkFieldValues(list.listId, list.fields, values, emailAddress)
  if (problem) return { ok: false, error: problem }
  const unknownEvent = eventIds.find((id) => !list.eventIds.has(id))
  if (unknownEvent !== undefined) {
    return invalid(
      `An invalid value was supplied for eventIds: ${unknownEvent} is not an event of list ${list.listId}.`
    )
  }

  const contact = store.get(emailAddress.toLowerCase())
  if (newEmailAddress !== undefined) {
    if (eventIds.length > 0) {
      return refuse(
        ERROR.CHANGE_ADDRESS_WITH_EVENTS,
        'The emailAddress cannot be changed in a request that raises events.'
      )
    }
    if (values.length > 0) {
      const message = 'The emailAddress cannot be changed in a request that carries profile field values.'
      return refuse(ERROR.CHANGE_ADDRESS_WITH_SEGMENTATION_DATA, message)
    }
    if (!contact) {
      return invalid(
        `An invalid value was supplied for emailAddress: list ${list.listId} has no such contact to change.`
      )
    }
    if (contact.subscriptionState === 'Unsubscribed') {
      const message = `The emailAddress of a contact unsubscribed from list ${list.listId} cannot be changed.`
      return refuse(ERROR.CHANGE_ADDRESS_CONTACT_UNSUBSCRIBED, message)
    }
    const other = store.get(newEmailAddress.toLowerCase())
    if (other && other !== contact) {
      return other.subscriptionState === 'Subscribed'
        ? refuse(
            ERROR.SUBSCRIBED_NEW_EMAIL_ADDRESS,
            `The newEmailAddress is already subscribed to list ${list.listId}.`
          )
        : refuse(ERROR.UNSUBSCRIBED_NEW_EMAIL_ADDRESS, `The newEmailAddress has unsubscribed from list ${list.listId}.`)
    }
    const blockedNew = blockedAddress(list, newEmailAddress)
    if (blockedNew === 'Banned') {
      return refuse(ERROR.BANNED_NEW_EMAIL_ADDRESS, `The newEmailAddress is banned from list ${list.listId}.`)
    }
    if (blockedNew === 'Suppressed') {
      const message = `The newEmailAddress is on a suppression list bound to list ${list.listId}.`
      return refuse(ERROR.SUPPRESSED_NEW_EMAIL, message)
    }
  }
  if (body.subscriptionState === 'Unsubscribed') {
    if (eventIds.length > 0) {
      return refuse(ERROR.UNSUBSCRIBE_WITH_EVENTS, 'A contact cannot be unsubscribed in a request that raises events.')
    }
    if (values.length > 0) {
      const message = 'A contact cannot be unsubscribed in a request that carries profile field values.'
      return refuse(ERROR.UNSUBSCRIBE_WITH_SEGMENTATION_DATA, message)
    }
    if (!contact) {
      return refuse(ERROR.NOT_SUBSCRIBED_EMAIL_ADDRESS, `The contact is not a subscriber of list ${list.listId}.`)
    }
    if (contact.subscriptionState === 'Unsubscribed') {
      const message = `The contact has already unsubscribed from list ${list.listId}.`
      return refuse(ERROR.UNSUBSCRIBED_EMAIL_ADDRESS, message)
    }
  } else if (contact?.subscriptionState === 'Unsubscribed' && !query.overrideUnsubscribe && eventIds.length > 0) {
    const message =
      `The contact has unsubscribed from list ${list.listId} and stays so without overrideUnsubscribe=true; ` +
      'events cannot be raised for it.'
    return refuse(ERROR.UPDATE_UNSUBSCRIBE_WITH_EVENTS, message)
  }
  // Listrak's registry refuses to subscribe a banned or suppressed address; a write that subscribes nobody is not one.
  const subscribes =
    body.subscriptionState !== 'Unsubscribed' &&
    (!contact || (contact.subscriptionState === 'Unsubscribed' && query.overrideUnsubscribe))
  const blocked = subscribes ? blockedAddress(list, emailAddress) : undefined
  if (blocked === 'Banned') {
    return refuse(ERROR.BANNED_EMAIL_ADDRESS, `The emailAddress is banned from list ${list.listId}.`)
  }
  if (blocked === 'Suppressed') {
    const message = `The emailAddress is on a suppression list bound to list ${list.listId}.`
    return refuse(ERROR.SUPPRESSED_EMAIL, message)
  }
  return undefined
}

/**
 * `POST /v1/List/{listId}/Contact`: creates or updates a contact in `store` (lower-cased address → contact) as Listrak
 * does, or refuses the request and changes nothing. A contact that has unsubscribed stays unsubscribed unless
 * `overrideUnsubscribe=true`; its profile fields are still updated.
 */
export function writeContact(
  list: ContactList,
  store: Map<string, StoredContact>,
  body: ContactBody,
  query: ContactQuery,
  at: string
): ContactWrite {
  const refused = refusal(list, store, body, query)
  if (refused) return refused
  const key = body.emailAddress.toLowerCase()
  let contact = store.get(key)
  const subscribeMethod = query.subscribedByContact ? METHOD.BY_CONTACT : METHOD.API
  if (!contact) {
    contact = newContact(body.emailAddress, subscribeMethod, at)
    if (query.sendDoubleOptIn) contact.doubleOptInSentAt = at
    store.set(key, contact)
  }
  if (query.newEmailAddress !== undefined) {
    store.delete(key)
    contact.emailAddress = query.newEmailAddress
    store.set(query.newEmailAddress.toLowerCase(), contact)
  }
  if (body.subscriptionState === 'Unsubscribed') {
    contact.subscriptionState = 'Unsubscribed'
    contact.unsubscribeDate = at
    contact.unsubscribeMethod = METHOD.API
  } else if (contact.subscriptionState === 'Unsubscribed' && query.overrideUnsubscribe) {
    // Resubscribed: the first subscribe date stays, the unsubscribe is over.
    contact.subscriptionState = 'Subscribed'
    contact.resubscribeDate = at
    contact.subscribeMethod = subscribeMethod
    contact.unsubscribeDate = null
    contact.unsubscribeMethod = null
  }
  if (body.externalContactID != null) contact.externalContactID = body.externalContactID
  applyValues(contact.fields, body.segmentationFieldValues, query.updateType)
  for (const eventId of query.eventIds) contact.events.push({ eventId, raisedAt: at })
  return { ok: true, contact }
}

/** `Contact` as Listrak returns it, with the values of the fields asked for (`segmentationFieldIds`) only. */
export function contactResource(
  contact: StoredContact,
  fields: Map<number, SegmentationField>,
  fieldIds: number[]
): ContactResource {
  return {
    emailAddress: contact.emailAddress,
    emailKey: contact.emailKey,
    universalEmailKey: createHash('sha256').update(contact.emailAddress.toLowerCase()).digest('hex'),
    subscriptionState: contact.subscriptionState,
    subscribeDate: contact.subscribeDate,
    resubscribeDate: contact.resubscribeDate,
    subscribeMethod: contact.subscribeMethod,
    unsubscribeDate: contact.unsubscribeDate,
    unsubscribeMethod: contact.unsubscribeMethod,
    externalContactID: contact.externalContactID,
    segmentationFieldValues: fieldIds.flatMap((id) => {
      const value = contact.fields.get(id)
      const field = fields.get(id)
      return value === undefined || !field
        ? []
        : [{ segmentationFieldGroupId: field.segmentationFieldGroupId, segmentationFieldId: id, value }]
    })
  }
}

/** Everything the sandbox holds of a contact, for the inspection route. */
export function contactDetail(contact: StoredContact) {
  const { fields, ...rest } = contact
  return { ...rest, fields: Object.fromEntries(fields) }
}
