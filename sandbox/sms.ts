import type { ErrorEnvelope } from './contract'
import type { SmsFixture } from './fixture'
import { History } from './history'
import { readPhone, samePhone } from './phone'
import {
  ContactListSubscription,
  PhoneAttribute,
  PhoneList,
  SenderCode,
  SMS_ERROR,
  SmsContactBody,
  SmsContactSubscriptionDetails,
  SmsTransactionalMessage
} from './sms-contract'
import { isDateValue, isEmailAddress, isNumberValue } from './validate-import'

/** A phone list of a sender code, with its transactional messages. */
export interface PhoneListState {
  list: PhoneList
  messages: Map<number, SmsTransactionalMessage>
}

/** A sender code with its lists, the phones it bans or finds suspended, and its contacts (phone → contact). */
export interface SenderCodeState {
  senderCode: SenderCode
  lists: Map<number, PhoneListState>
  banned: Set<string>
  suspended: Set<string>
  contacts: Map<string, SmsContact>
}

/**
 * A contact on one sender code: its system fields and opt-out of the sender code, as Listrak returns them (its profile
 * field values are the company's, kept apart), and its state on each list.
 */
export interface SmsContact extends Omit<SmsContactSubscriptionDetails, 'subscribeDate' | 'segmentationFieldValues'> {
  /** When the contact was created on the sender code. */
  subscribeDate: string
  /** When a subscription to a list last ended its opt-out (the sandbox's record; Listrak's resource has none). */
  resubscribeDate: string | null
  lists: Map<number, ContactListSubscription>
}

/** One transactional text sent, as `GET /_sandbox/sms/messages` shows it. */
export interface SmsSend {
  /** 1 for the first send since the start or the last reset, then one more for each. */
  sequence: number
  senderCodeId: number
  phoneListId: number
  transactionalMessageId: number
  phoneNumber: string
  messageContent: string
  sentAt: string
}

export type SmsResult<T> = { ok: true; value: T } | { ok: false; error: ErrorEnvelope }

const refuse = (error: string, message: string): { ok: false; error: ErrorEnvelope } => ({
  ok: false,
  error: { status: 400, error, message }
})

/** A profile field's state that refuses values: Listrak's words for it are not published. */
const DISABLED_FIELD = /^(disabled|purged)$/i

/** What a profile field of each type takes, besides an empty value (which blanks it). */
const FITS: Record<PhoneAttribute['dataType'], (value: string) => boolean> = {
  Text: () => true,
  Number: isNumberValue,
  // Listrak does not say what a check box takes; `on` and `off`, as its Email API takes.
  Checkbox: (value) => value === 'on' || value === 'off',
  Date: isDateValue
}

/** The SMS side of the sandbox's Listrak account: sender codes, lists, profile fields, contacts and texts sent. */
export class SmsAccount {
  readonly senderCodes: Map<number, SenderCodeState>
  readonly fields: Map<number, PhoneAttribute>
  /** Texts sent, oldest first. */
  readonly sends: History<SmsSend>
  /** Phone → field ID → value: a contact's profile fields are the company's, shared by its sender codes. */
  private readonly fieldValues = new Map<string, Map<number, string>>()
  private readonly couponTag: RegExp
  private nextSequence = 1

  constructor(fixture: SmsFixture, historyLimit: number) {
    const createDate = new Date().toISOString()
    this.fields = new Map(fixture.segmentationFields.map((field) => [field.segmentationFieldId, { ...field }]))
    this.senderCodes = new Map(
      fixture.senderCodes.map((code): [number, SenderCodeState] => {
        const lists = code.phoneLists.map(({ transactionalMessages, ...list }): [number, PhoneListState] => [
          list.phoneListId,
          {
            list: { ...list, createDate, messageLimit: 0, messageLimitTimeFrame: null },
            messages: new Map(transactionalMessages.map((m) => [m.transactionalMessageId, { ...m }]))
          }
        ])
        // The fixture's phones were checked at load: each reads as a phone of the sender code.
        const phones = (raw: string[]) =>
          new Set(raw.map((phone) => (readPhone(phone, code.country, 'any') as { phone: string }).phone))
        const state = {
          senderCode: senderCodeResource(code),
          lists: new Map(lists),
          banned: phones(code.bannedPhoneNumbers),
          suspended: phones(code.suspendedPhoneNumbers),
          contacts: new Map()
        }
        return [code.senderCodeId, state]
      })
    )
    this.sends = new History(historyLimit)
    this.couponTag = new RegExp(fixture.couponTagPattern, 'i')
  }

  /** The sender code that has the list, if one does. */
  listOwner(phoneListId: number): SenderCodeState | undefined {
    return [...this.senderCodes.values()].find((code) => code.lists.has(phoneListId))
  }

  /** The list of `code` that has the message, if one does. */
  messageOwner(code: SenderCodeState, transactionalMessageId: number): PhoneListState | undefined {
    return [...code.lists.values()].find((list) => list.messages.has(transactionalMessageId))
  }

  /**
   * `POST …/PhoneList/{phoneListId}/Contact`: creates the contact on the sender code and subscribes it to the list,
   * `Pending` when the list asks for a double opt-in or an age gate. A phone the sender code has is refused
   * (`ERROR_PHONE_NUMBER_FOUND`): the client updates it instead.
   */
  createContact(
    code: SenderCodeState,
    { list }: PhoneListState,
    phone: string,
    body: SmsContactBody,
    at: string
  ): SmsResult<SmsContact> {
    const problem = this.checkBody(body)
    if (problem) return problem
    if (body.optedOut) {
      const message =
        'An invalid value was supplied for optedOut: a contact is created subscribed; opt it out with an update.'
      return refuse(SMS_ERROR.INVALID_PARAMETER, message)
    }
    const inactive = this.inactive(list)
    if (inactive) return inactive
    if (code.banned.has(phone)) return banned(code, phone)
    if (code.contacts.has(phone)) {
      const message = `${phone} is already a contact of sender code ${code.senderCode.shortCodeId}; update it instead.`
      return refuse(SMS_ERROR.PHONE_NUMBER_FOUND, message)
    }
    const contact: SmsContact = {
      phoneNumber: phone,
      emailAddress: null,
      firstName: null,
      lastName: null,
      birthday: null,
      postalCode: null,
      optedOut: false,
      subscribeDate: at,
      unsubscribeDate: null,
      resubscribeDate: null,
      lists: new Map()
    }
    code.contacts.set(phone, contact)
    this.write(contact, body)
    subscribe(contact, list, at)
    return { ok: true, value: contact }
  }

  /**
   * `PUT /v1/ShortCode/{senderCodeId}/Contact`: updates a contact's system and profile fields, and opts it out of the
   * sender code (every list) with `optedOut: true`. It never opts a contact in: `optedOut: false` changes nothing.
   * Members absent or null keep their values (the sandbox's reading; Listrak does not say).
   */
  updateContact(code: SenderCodeState, phone: string, body: SmsContactBody, at: string): SmsResult<SmsContact> {
    const problem = this.checkBody(body)
    if (problem) return problem
    if (code.banned.has(phone)) return banned(code, phone)
    const contact = code.contacts.get(phone)
    if (!contact) {
      const message = `${phone} is not a contact of sender code ${code.senderCode.shortCodeId}; create it first.`
      return refuse(SMS_ERROR.PHONE_NUMBER_NOT_FOUND, message)
    }
    this.write(contact, body)
    if (body.optedOut && !contact.optedOut) {
      contact.optedOut = true
      contact.unsubscribeDate = at
      for (const subscription of contact.lists.values()) unsubscribe(subscription, at)
    }
    return { ok: true, value: contact }
  }

  /**
   * `POST …/Contact/{phoneNumber}/PhoneList/{phoneListId}`: subscribes a contact the sender code has. A contact opted
   * out of the sender code is subscribed again, its opt-out over (the sandbox's reading: Listrak does not say).
   * Returns undefined when the sender code has no such contact (a 404 for the route).
   */
  subscribeContact(
    code: SenderCodeState,
    { list }: PhoneListState,
    phone: string,
    at: string
  ): SmsResult<SmsContact> | undefined {
    if (code.banned.has(phone)) return banned(code, phone)
    const contact = code.contacts.get(phone)
    if (!contact) return undefined
    const inactive = this.inactive(list)
    if (inactive) return inactive
    const state = contact.lists.get(list.phoneListId)?.subscriptionState
    if (state === 'Subscribed') {
      return refuse(SMS_ERROR.SUBSCRIBED_PHONE_NUMBER, `${phone} is already subscribed to list ${list.phoneListId}.`)
    }
    if (state === 'Pending') {
      const message = `${phone} is pending a double opt-in or age gate on list ${list.phoneListId}.`
      return refuse(SMS_ERROR.PENDING_PHONE_NUMBER, message)
    }
    if (contact.optedOut) {
      contact.optedOut = false
      contact.unsubscribeDate = null
      contact.resubscribeDate = at
    }
    subscribe(contact, list, at)
    return { ok: true, value: contact }
  }

  /**
   * `DELETE …/ContactUnsubscribe/{phoneNumber}/PhoneList/{phoneListId}`: unsubscribes a contact from a list, pending
   * or subscribed. Returns undefined when the contact is not on the list (a 404 for the route).
   */
  unsubscribeContact(
    code: SenderCodeState,
    { list }: PhoneListState,
    phone: string,
    at: string
  ): SmsResult<SmsContact> | undefined {
    const contact = code.contacts.get(phone)
    const subscription = contact?.lists.get(list.phoneListId)
    if (!contact || !subscription) return undefined
    if (subscription.subscriptionState === 'Unsubscribed') {
      return refuse(SMS_ERROR.PHONE_NUMBER_NOT_SUBSCRIBED, `${phone} is not subscribed to list ${list.phoneListId}.`)
    }
    unsubscribe(subscription, at)
    return { ok: true, value: contact }
  }

  /**
   * `POST …/TransactionalMessage/{transactionalMessageId}/Message`: records the text sent to a phone subscribed to
   * the list, or says why Listrak would refuse it. Nothing is delivered.
   */
  send(
    code: SenderCodeState,
    { list }: PhoneListState,
    message: SmsTransactionalMessage,
    phone: string,
    messageContent: string | null | undefined,
    at: string
  ): SmsResult<SmsSend> {
    if (!messageContent?.trim()) {
      return refuse(SMS_ERROR.TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE, 'The messageContent is empty.')
    }
    const coupon = this.couponTag.exec(messageContent)
    if (coupon) {
      const text = `The messageContent holds a coupon code tag, ${coupon[0]}, which a transactional message may not.`
      return refuse(SMS_ERROR.TRANSACTIONAL_MESSAGE_CONTENT_COUPON_CODE, text)
    }
    const inactive = this.inactive(list)
    if (inactive) return inactive
    if (code.banned.has(phone)) return banned(code, phone)
    if (code.suspended.has(phone)) {
      const text = `${phone}'s service is suspended: it cannot be sent messages for now.`
      return refuse(SMS_ERROR.PHONE_NUMBER_SUSPENDED, text)
    }
    const contact = code.contacts.get(phone)
    if (contact?.optedOut || contact?.lists.get(list.phoneListId)?.subscriptionState !== 'Subscribed') {
      return refuse(SMS_ERROR.PHONE_NUMBER_NOT_SUBSCRIBED, `${phone} is not subscribed to list ${list.phoneListId}.`)
    }
    const send: SmsSend = {
      sequence: this.nextSequence++,
      senderCodeId: code.senderCode.shortCodeId,
      phoneListId: list.phoneListId,
      transactionalMessageId: message.transactionalMessageId,
      phoneNumber: phone,
      messageContent,
      sentAt: at
    }
    this.sends.push(send)
    return { ok: true, value: send }
  }

  /** `SMSContactSubscriptionDetails` of a contact, with every profile field that holds a value. */
  details(contact: SmsContact): SmsContactSubscriptionDetails {
    const { phoneNumber, emailAddress, firstName, lastName, birthday, postalCode, optedOut } = contact
    const values = [...(this.fieldValues.get(phoneNumber) ?? new Map<number, string>())]
    return {
      subscribeDate: contact.subscribeDate,
      unsubscribeDate: contact.unsubscribeDate,
      ...{ phoneNumber, emailAddress, firstName, lastName, birthday, postalCode, optedOut },
      segmentationFieldValues: values.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
    }
  }

  /** Everything the sandbox holds of a sender code's contacts, for the inspection route. */
  contactsOf(code: SenderCodeState) {
    return [...code.contacts.values()].map((contact) => {
      const { lists, ...rest } = contact
      const fields = Object.fromEntries(this.fieldValues.get(contact.phoneNumber) ?? [])
      return { ...rest, fields, lists: [...lists.values()].map((subscription) => ({ ...subscription })) }
    })
  }

  /** The texts sent, oldest first, only those to `phone` or of `transactionalMessageId` when given, with counts. */
  messagesSent(filter: { phone?: string; transactionalMessageId?: number }) {
    const { data, ...history } = this.sends.toJSON()
    const sends = data.filter(
      (send) =>
        (filter.phone === undefined || samePhone(filter.phone, send.phoneNumber)) &&
        (filter.transactionalMessageId === undefined || send.transactionalMessageId === filter.transactionalMessageId)
    )
    const perPhone: Record<string, number> = {}
    for (const { phoneNumber } of sends) perPhone[phoneNumber] = (perPhone[phoneNumber] ?? 0) + 1
    return { ...history, matched: sends.length, perPhone, data: sends }
  }

  private inactive(list: PhoneList) {
    if (list.status === 'Active') return undefined
    return refuse(SMS_ERROR.LIST_INACTIVE, `List ${list.phoneListId} is inactive.`)
  }

  /**
   * Why Listrak would refuse the members of a contact body, whoever it is: its email address, its birthday and its
   * profile field values. Undefined when it would take them.
   */
  private checkBody(body: SmsContactBody): { ok: false; error: ErrorEnvelope } | undefined {
    const { emailAddress, birthday } = body
    if (emailAddress != null && !isEmailAddress(emailAddress)) {
      const message = `The emailAddress is in an invalid format: ${JSON.stringify(emailAddress)}.`
      return refuse(SMS_ERROR.INVALID_EMAIL_ADDRESS, message)
    }
    if (birthday === '') {
      return refuse(SMS_ERROR.BIRTHDAY_FIELD_NULL, 'The birthday is an empty string; send null for no birthday.')
    }
    if (birthday != null && !(/^\d{4}-\d{2}-\d{2}/.test(birthday) && isDateValue(birthday))) {
      const message = `An invalid value was supplied for birthday: ${JSON.stringify(birthday)}; give an ISO 8601 date.`
      return refuse(SMS_ERROR.INVALID_PARAMETER, message)
    }
    const seen = new Set<number>()
    for (const { segmentationFieldId: id, value } of body.segmentationFieldValues ?? []) {
      const field = this.fields.get(id)
      if (!field) {
        return refuse(SMS_ERROR.INVALID_SEGMENTATION_FIELD_ID, `Profile field ${id} does not exist on the sender code.`)
      }
      if (seen.has(id)) {
        return refuse(SMS_ERROR.INVALID_PARAMETER, `Two or more values were supplied for segmentationFieldId ${id}.`)
      }
      seen.add(id)
      if (DISABLED_FIELD.test(field.statusFlag)) {
        const message = `Profile field ${id} (${field.segmentationFieldName}) is ${field.statusFlag.toLowerCase()}.`
        return refuse(SMS_ERROR.SEGMENTATION_FIELD_DISABLED, message)
      }
      if (value !== '' && !FITS[field.dataType](value)) {
        const use = field.dataType === 'Checkbox' ? '; use "on" or "off"' : ''
        const message = `An invalid value was supplied for value: ${JSON.stringify(value)} is not a ${field.dataType} value for field ${id}${use}.`
        return refuse(SMS_ERROR.INVALID_PARAMETER, message)
      }
      if (field.maxLength !== null && value.length > field.maxLength) {
        const message = `The value for field ${id} is ${value.length} characters; it holds at most ${field.maxLength}.`
        return refuse(SMS_ERROR.SEGMENTATION_MAX_LENGTH, message)
      }
    }
    return undefined
  }

  /** Writes the members given (not null) and the profile field values, an empty value blanking its field. */
  private write(contact: SmsContact, body: SmsContactBody) {
    for (const key of ['emailAddress', 'firstName', 'lastName', 'birthday', 'postalCode'] as const) {
      const value = body[key]
      if (value != null) contact[key] = value
    }
    let values = this.fieldValues.get(contact.phoneNumber)
    if (!values) this.fieldValues.set(contact.phoneNumber, (values = new Map()))
    for (const { segmentationFieldId, value } of body.segmentationFieldValues ?? []) {
      if (value === '') values.delete(segmentationFieldId)
      else values.set(segmentationFieldId, value)
    }
  }
}

const banned = (code: SenderCodeState, phone: string) =>
  refuse(SMS_ERROR.BANNED_PHONE_NUMBER, `${phone} is banned from sender code ${code.senderCode.shortCodeId}.`)

/** Subscribes the contact to the list, or leaves it pending when the list asks the phone to confirm first. */
function subscribe(contact: SmsContact, list: PhoneList, at: string) {
  const pending = list.requireDoubleOptIn || list.requireAgeGate
  contact.lists.set(list.phoneListId, {
    phoneListId: list.phoneListId,
    subscriptionState: pending ? 'Pending' : 'Subscribed',
    subscribeDate: pending ? null : at,
    unsubscribeDate: null,
    pendingDate: pending ? at : null,
    pendingDoubleOptIn: list.requireDoubleOptIn,
    pendingAgeGate: list.requireAgeGate
  })
}

function unsubscribe(subscription: ContactListSubscription, at: string) {
  if (subscription.subscriptionState === 'Unsubscribed') return
  Object.assign(subscription, {
    subscriptionState: 'Unsubscribed',
    unsubscribeDate: at,
    pendingDoubleOptIn: false,
    pendingAgeGate: false
  })
}

/** `SenderCode` of a fixture's sender code: Listrak's members the sandbox does not model are neutral. */
function senderCodeResource(code: SmsFixture['senderCodes'][number]): SenderCode {
  return {
    shortCodeId: code.senderCodeId,
    code: code.code,
    country: code.country,
    merchantName: code.merchantName,
    emailListId: 0,
    emailListName: null,
    externalEventId: 0,
    externalEventName: null,
    phoneNumberSegmentationFieldGroupId: 0,
    phoneNumberSegmentationFieldGroupName: null,
    phoneNumberSegmentationFieldId: 0,
    phoneNumberSegmentationFieldName: null,
    acquisitionSourceSegmentationFieldGroupId: 0,
    acquisitionSourceSegmentationFieldGroupName: null,
    acquisitionSourceSegmentationFieldId: 0,
    acquisitionSourceSegmentationFieldName: null
  }
}
