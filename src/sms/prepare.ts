import {
  calendarDate,
  ignoredKeysNote,
  isListrakId,
  MappedValue,
  MAX_LISTRAK_ID,
  normalizeEmail,
  PayloadProblems,
  problemMessage,
  quote,
  readProfileFieldValues
} from '../profile-fields/rules'
import { normalizePhone, PhoneRules } from './phone'
import { checkSmsFieldValues, SmsFieldDefinition } from './profile-fields'

/**
 * Pure reading of the SMS actions' payloads: each event becomes a request ready to send (the number normalised,
 * strings trimmed, empty values left out) or a refusal that names every problem of the event in one message.
 */

/** What the number's check needs of the sender code an event names: its country, and the format setting. */
export type SenderPhoneRules = Omit<PhoneRules, 'senderCodeId'>

/** The system fields of Listrak's `SMSContact` that the upsert writes; a member without a value is left out. */
export interface SmsContactFields {
  emailAddress?: string
  firstName?: string
  lastName?: string
  /** `YYYY-MM-DDT00:00:00`: the member is `date-time`, and a birthday is a calendar day. */
  birthday?: string
  postalCode?: string
}

/** One Create or Update SMS Contact event as its fields map it. */
export interface SmsContactPayload {
  senderCodeId: number
  phoneListId?: number
  phoneNumber: unknown
  subscribe?: boolean
  resubscribeOptedOut?: boolean
  emailAddress?: unknown
  firstName?: unknown
  lastName?: unknown
  birthday?: unknown
  postalCode?: unknown
  profileFieldValues?: Record<string, unknown>
}

/** What one upsert event asks of one phone on one sender code, ready to send. */
export interface SmsContactChange {
  senderCodeId: number
  /** The list to subscribe the phone to; set only when `subscribe` is. */
  phoneListId?: number
  subscribe: boolean
  resubscribeOptedOut: boolean
  /** The number as sent. */
  phoneNumber: string
  /** The number in E.164: one spelling of it, whatever the format sent. */
  e164: string
  fields: SmsContactFields
  values: Map<number, string>
  /** The mapping's keys that are no profile field IDs, left out. */
  ignored: string[]
}

export type PreparedSmsContact = { ok: true; change: SmsContactChange } | { ok: false; message: string }

/** An upsert event read from its payload alone, before the sender code's profile fields are known. */
export type ReadSmsContact = Omit<SmsContactChange, 'phoneNumber' | 'e164' | 'values'> & {
  /** Absent when the number is not one, which the problems say. */
  phone?: { phoneNumber: string; e164: string }
  values: Map<number, MappedValue>
  problems: PayloadProblems
}

/** One Unsubscribe SMS Contact event as its fields map it. */
export interface SmsUnsubscribePayload {
  senderCodeId: number
  scope?: string
  phoneListId?: number
  phoneNumber: unknown
}

export const UNSUBSCRIBE_SCOPES = ['list', 'senderCode'] as const
export type UnsubscribeScope = typeof UNSUBSCRIBE_SCOPES[number]

/** One unsubscribe, ready to send: from one list, or from the whole sender code (an opt-out). */
export interface SmsUnsubscribe {
  senderCodeId: number
  scope: UnsubscribeScope
  /** Set only when `scope` is `list`. */
  phoneListId?: number
  phoneNumber: string
  e164: string
}

export type PreparedSmsUnsubscribe = { ok: true; unsubscribe: SmsUnsubscribe } | { ok: false; message: string }

/** One Send SMS Transactional Message event as its fields map it. */
export interface SmsMessagePayload {
  senderCodeId: number
  phoneListId: number
  transactionalMessageId: number
  phoneNumber: unknown
  messageContent: unknown
}

/** One text to send: Listrak's `TransactionalMessageContact` and where it goes. */
export interface SmsMessageSend {
  senderCodeId: number
  phoneListId: number
  transactionalMessageId: number
  message: { phoneNumber: string; messageContent: string }
}

export type PreparedSmsMessage = { ok: true; send: SmsMessageSend } | { ok: false; message: string }

const LABELS = {
  senderCodeId: 'Sender Code ID',
  phoneListId: 'SMS List ID',
  transactionalMessageId: 'Transactional Message ID',
  subscribe: 'Subscribe to SMS List',
  scope: 'Unsubscribe From',
  emailAddress: 'Email Address',
  firstName: 'First Name',
  lastName: 'Last Name',
  birthday: 'Birthday',
  postalCode: 'Postal Code',
  profileFieldValues: 'Profile Field Values',
  messageContent: 'Message Content'
}

// The SMS actions map no audience membership, so "useAudienceKey" has nothing to read.
const NO_MEMBERSHIP = { ok: false as const, reason: 'none here: the SMS actions read no audience' }

const isBlank = (raw: unknown) => raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')

/** The members that have values: Listrak gets no other (`SMSContact` marks none required). */
function definedOnly<T extends object>(members: T): T {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as T
}

/** An ID field's problem, if its value is no Listrak ID. */
function idProblem(label: string, id: unknown): string[] {
  return isListrakId(id) ? [] : [`${label} ${quote(id)} must be a whole number from 1 to ${MAX_LISTRAK_ID}.`]
}

/** A text member: trimmed, a number written out, left out when blank; anything else is a problem. */
function readText(label: string, raw: unknown, problems: string[]): string | undefined {
  if (isBlank(raw)) return undefined
  if (typeof raw === 'string') return raw.trim()
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  problems.push(`${label} ${quote(raw)} is not text.`)
  return undefined
}

/**
 * The birthday as `SMSContact.birthday` takes it (`date-time`): the calendar day the value names, at midnight, so
 * that no offset moves it. Left out when blank: Listrak refuses an empty string (`ERROR_BIRTHDAY_FIELD_NULL`).
 */
function readBirthday(raw: unknown, problems: string[]): string | undefined {
  if (isBlank(raw)) return undefined
  const day = typeof raw === 'string' ? calendarDate(raw.trim()) : undefined
  if (day) {
    const pad = (n: number, width: number) => String(n).padStart(width, '0')
    return `${pad(day.year, 4)}-${pad(day.month, 2)}-${pad(day.day, 2)}T00:00:00`
  }
  problems.push(
    `${LABELS.birthday} ${quote(raw)} is not a date: use YYYY-MM-DD (optionally with a time) or MM/DD/YYYY.`
  )
  return undefined
}

/** The phone, checked for the sender code the event names; its problem goes first. */
function readPhone(raw: unknown, senderCodeId: number, rules: SenderPhoneRules, problems: string[]) {
  const checked = normalizePhone(raw, { ...rules, senderCodeId })
  if (checked.ok) return { phoneNumber: checked.phone, e164: checked.e164 }
  problems.push(checked.message)
  return undefined
}

/**
 * Pure: an upsert event read from its payload: its number for the sender code's country and format, its email
 * address (`normalizeEmail`), names and postal code trimmed, birthday as a day, profile field values by the email
 * side's key and value rules. Subscribing needs a list; without a subscribe the event must have something to write.
 */
export function readSmsContact(payload: SmsContactPayload, rules: SenderPhoneRules): ReadSmsContact {
  const addresses: string[] = []
  const others: string[] = idProblem(LABELS.senderCodeId, payload.senderCodeId)
  const phone = readPhone(payload.phoneNumber, payload.senderCodeId, rules, addresses)

  let emailAddress: string | undefined
  if (!isBlank(payload.emailAddress)) {
    const email = normalizeEmail(payload.emailAddress, LABELS.emailAddress)
    if (email.ok) emailAddress = email.email
    else addresses.push(email.message)
  }
  const fields = definedOnly<SmsContactFields>({
    emailAddress,
    firstName: readText(LABELS.firstName, payload.firstName, others),
    lastName: readText(LABELS.lastName, payload.lastName, others),
    birthday: readBirthday(payload.birthday, others),
    postalCode: readText(LABELS.postalCode, payload.postalCode, others)
  })

  const subscribe = payload.subscribe === true
  if (subscribe) {
    if (isBlank(payload.phoneListId)) {
      others.push(`${LABELS.phoneListId} is required when ${LABELS.subscribe} is on.`)
    } else others.push(...idProblem(LABELS.phoneListId, payload.phoneListId))
  }

  const mapped = readProfileFieldValues(payload.profileFieldValues ?? {}, () => NO_MEMBERSHIP)
  // A member given but refused has its own problem: "nothing to write" is only for an event that gives none.
  const members = [payload.emailAddress, payload.firstName, payload.lastName, payload.birthday, payload.postalCode]
  const given = members.some((raw) => !isBlank(raw)) || mapped.values.size + mapped.problems.length > 0
  if (!subscribe && !given) {
    const ignored = mapped.ignored.length > 0 ? ` (${ignoredKeysNote(mapped.ignored)})` : ''
    others.push(
      `Nothing to write: ${LABELS.subscribe} is off, and ${LABELS.emailAddress}, ${LABELS.firstName}, ` +
        `${LABELS.lastName}, ${LABELS.birthday}, ${LABELS.postalCode} and ${LABELS.profileFieldValues}${ignored} ` +
        'have no values.'
    )
  }

  return {
    senderCodeId: payload.senderCodeId,
    // Only a subscribe names a list: an update of the contact applies to the sender code.
    ...(subscribe ? { phoneListId: payload.phoneListId } : {}),
    subscribe,
    // Without a subscribe there is nothing to resubscribe: the setting would only keep apart events that merge.
    resubscribeOptedOut: subscribe && payload.resubscribeOptedOut === true,
    ...(phone ? { phone } : {}),
    fields,
    values: mapped.values,
    ignored: mapped.ignored,
    problems: { addresses, values: mapped.problems, others }
  }
}

/**
 * Pure: the upsert with its profile field values checked against the sender code's field definitions, where they
 * could be read, or every problem of the event in one message.
 */
export function finishSmsContact(
  read: ReadSmsContact,
  definitions: Map<number, SmsFieldDefinition> | undefined
): PreparedSmsContact {
  const { values, problems } = checkSmsFieldValues(read.senderCodeId, read.values, definitions)
  const message = problemMessage(read.problems, LABELS.profileFieldValues, problems)
  if (message !== '' || read.phone === undefined) return { ok: false, message }
  const { problems: _problems, values: _mapped, phone, ...change } = read
  return { ok: true, change: { ...change, ...phone, values } }
}

/** Pure: an unsubscribe event read, from a list (the default) or the sender code, or every problem in one message. */
export function readSmsUnsubscribe(payload: SmsUnsubscribePayload, rules: SenderPhoneRules): PreparedSmsUnsubscribe {
  const addresses: string[] = []
  const others = idProblem(LABELS.senderCodeId, payload.senderCodeId)
  const phone = readPhone(payload.phoneNumber, payload.senderCodeId, rules, addresses)
  const scope = UNSUBSCRIBE_SCOPES.find((s) => s === (payload.scope ?? 'list'))
  if (scope === undefined) {
    const allowed = UNSUBSCRIBE_SCOPES.map((s) => `"${s}"`).join(' or ')
    others.push(`${LABELS.scope} ${quote(payload.scope)} is not ${allowed}.`)
  } else if (scope === 'list') {
    if (isBlank(payload.phoneListId)) {
      others.push(`${LABELS.phoneListId} is required when ${LABELS.scope} is "list".`)
    } else others.push(...idProblem(LABELS.phoneListId, payload.phoneListId))
  }
  const message = [...addresses, ...others].join(' ')
  if (message !== '' || phone === undefined || scope === undefined) return { ok: false, message }
  return {
    ok: true,
    unsubscribe: {
      senderCodeId: payload.senderCodeId,
      scope,
      ...(scope === 'list' ? { phoneListId: payload.phoneListId } : {}),
      ...phone
    }
  }
}

/** Pure: a transactional text read: its recipient's number and its content, trimmed and not empty. */
export function readSmsMessage(payload: SmsMessagePayload, rules: SenderPhoneRules): PreparedSmsMessage {
  const addresses: string[] = []
  const others = [
    ...idProblem(LABELS.senderCodeId, payload.senderCodeId),
    ...idProblem(LABELS.phoneListId, payload.phoneListId),
    ...idProblem(LABELS.transactionalMessageId, payload.transactionalMessageId)
  ]
  const phone = readPhone(payload.phoneNumber, payload.senderCodeId, rules, addresses)
  const raw = payload.messageContent
  const messageContent = typeof raw === 'string' ? raw.trim() : undefined
  if (messageContent === undefined) {
    others.push(
      isBlank(raw)
        ? `${LABELS.messageContent} is missing: map it to the text to send.`
        : `${LABELS.messageContent} ${quote(raw)} is not text.`
    )
  } else if (messageContent === '') {
    others.push(
      `${LABELS.messageContent} is empty, and Listrak sends no empty text ` +
        '(ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE): map it to the text to send.'
    )
  }
  const message = [...addresses, ...others].join(' ')
  if (message !== '' || phone === undefined || !messageContent) return { ok: false, message }
  return {
    ok: true,
    send: {
      senderCodeId: payload.senderCodeId,
      phoneListId: payload.phoneListId,
      transactionalMessageId: payload.transactionalMessageId,
      message: { phoneNumber: phone.phoneNumber, messageContent }
    }
  }
}
