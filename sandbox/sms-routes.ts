import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { pageQuery } from './contract'
import { authorized, envelope, inspectionQuery, jsonBody, parseId, queryFrom, sendError } from './http'
import { API_BASE } from './integrations'
import { readPhone } from './phone'
import type { PhoneListState, SenderCodeState, SmsResult } from './sms'
import { phoneListQuery, SMS_ERROR, smsContactBody, smsTransactionalMessageContact } from './sms-contract'
import type { SandboxState } from './state'

const SENDER_CODE = `${API_BASE.SMS}/ShortCode/:senderCodeId`
const PHONE_LIST = `${SENDER_CODE}/PhoneList/:phoneListId`
const CONTACT = `${SENDER_CODE}/Contact/:phoneNumber`

type SenderCodeParams = { Params: { senderCodeId: string } }
type PhoneListParams = { Params: { senderCodeId: string; phoneListId: string } }
type ContactParams = { Params: { senderCodeId: string; phoneNumber: string } }
type SubscriptionParams = { Params: { senderCodeId: string; phoneNumber: string; phoneListId: string } }
type MessageParams = { Params: { senderCodeId: string; phoneListId: string; transactionalMessageId: string } }

/** Listrak's 404 for IDs in a path it cannot find together, in its words: `names` as "senderCodeId and phoneListId". */
const notFound = (names: string) =>
  envelope(
    404,
    SMS_ERROR.UNABLE_TO_LOCATE_RESOURCE,
    `Unable to locate a resource associated with the ${names} supplied.`
  )

const invalidId = (name: string) =>
  envelope(400, SMS_ERROR.INVALID_PARAMETER, `An invalid value was supplied for ${name}.`)

/** `GET /_sandbox/sms/contacts`: a sender code's contacts. */
const contactsQuery = z.object({
  senderCodeId: z.string({ error: 'give a sender code ID, e.g. 101' }).regex(/^[0-9]{1,10}$/, 'give a sender code ID')
})

/** `GET /_sandbox/sms/messages`: only the texts sent to one phone (in any format), or of one transactional message. */
const messagesQuery = z.object({
  phone: z.string().optional(),
  transactionalMessageId: z
    .string()
    .regex(/^[0-9]{1,10}$/, 'give a transactional message ID, e.g. 401')
    .transform(Number)
    .optional()
})

/**
 * Listrak's SMS API under `/sms/v1`, as far as the sandbox emulates it (sender codes, lists, profile fields, contacts,
 * subscriptions, transactional texts), and its inspection routes under `/_sandbox/sms`.
 */
export function registerSmsRoutes(app: FastifyInstance, state: SandboxState): void {
  /** The sender code named in the path; answers 400 or 404 and returns undefined when there is none. */
  const senderCodeFrom = (request: FastifyRequest<SenderCodeParams>, reply: FastifyReply) => {
    const id = parseId(request.params.senderCodeId)
    const code = id === undefined ? undefined : state.sms.senderCodes.get(id)
    if (!code) sendError(reply, id === undefined ? invalidId('senderCodeId') : notFound('senderCodeId'))
    return code
  }

  /**
   * The sender code's list named in the path; answers 400 or 404 (naming `names`) and returns undefined when there is
   * none. A list of another sender code is `ERROR_INVALID_LIST_ID` (the sandbox's reading of that code).
   */
  const listFrom = (
    request: FastifyRequest<PhoneListParams>,
    reply: FastifyReply,
    code: SenderCodeState,
    names: string
  ): PhoneListState | undefined => {
    const id = parseId(request.params.phoneListId)
    const list = id === undefined ? undefined : code.lists.get(id)
    if (list) return list
    const owner = id === undefined ? undefined : state.sms.listOwner(id)
    if (id === undefined) sendError(reply, invalidId('phoneListId'))
    else if (!owner) sendError(reply, notFound(names))
    else {
      const message = `List ${id} is not a list of sender code ${code.senderCode.shortCodeId}, but of sender code ${owner.senderCode.shortCodeId}.`
      sendError(reply, envelope(400, SMS_ERROR.INVALID_LIST_ID, message))
    }
    return undefined
  }

  /** The phone as the sender code takes it under `smsPhoneFormat`; answers 400 and returns undefined when it is not. */
  const phoneFrom = (raw: string | null | undefined, code: SenderCodeState, reply: FastifyReply) => {
    if (raw == null) {
      sendError(reply, envelope(400, SMS_ERROR.INVALID_PARAMETER, 'A value is required for phoneNumber.'))
      return undefined
    }
    const format = state.faults.current.smsPhoneFormat
    const { shortCodeId, country } = code.senderCode
    const read = readPhone(raw, country, format)
    if (read.ok) return read.phone
    const message =
      `The phoneNumber ${JSON.stringify(raw)} is in an invalid format: sender code ${shortCodeId} (${country}) ` +
      `takes ${read.expected} (the sandbox's smsPhoneFormat is ${format}).`
    sendError(reply, envelope(400, SMS_ERROR.INVALID_PHONE_NUMBER, message))
    return undefined
  }

  /** The result's answer with `status` and `body`, or its refusal. */
  const answer = <T>(reply: FastifyReply, result: SmsResult<T>, status: number, body: (value: T) => object) =>
    result.ok ? reply.code(status).send({ status, ...body(result.value) }) : sendError(reply, result.error)

  const now = () => new Date().toISOString()

  app.get(`${API_BASE.SMS}/ShortCode`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    return { status: 200, data: [...state.sms.senderCodes.values()].map((code) => code.senderCode) }
  })

  app.get<SenderCodeParams>(SENDER_CODE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    if (!code) return reply
    return { status: 200, data: code.senderCode }
  })

  app.get<SenderCodeParams>(`${SENDER_CODE}/PhoneList`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    if (!code) return reply
    const query = queryFrom(request, reply, phoneListQuery)
    if (!query) return reply
    const { status, cursor, count } = query
    const lists = [...code.lists.values()].map(({ list }) => list)
    // `Collection[PhoneList]`: Listrak's definition of this answer has no `nextPageCursor`.
    const data = lists.filter((list) => status === undefined || list.status === status).slice(cursor, cursor + count)
    return { status: 200, data }
  })

  app.get<PhoneListParams>(PHONE_LIST, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    const list = code && listFrom(request, reply, code, 'senderCodeId and phoneListId')
    if (!list) return reply
    // Listrak's definition says a bare `PhoneList`, its example `{ status, data: [PhoneList] }`: the sandbox answers as
    // the example does, as every other answer is wrapped.
    return { status: 200, data: [list.list] }
  })

  app.get<SenderCodeParams>(`${SENDER_CODE}/SegmentationField`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    if (!senderCodeFrom(request, reply)) return reply
    return { status: 200, data: [...state.sms.fields.values()] }
  })

  app.post<PhoneListParams>(`${PHONE_LIST}/Contact`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    const list = code && listFrom(request, reply, code, 'senderCodeId and phoneListId')
    if (!code || !list) return reply
    const body = jsonBody(request, reply, smsContactBody, 'contactResource')
    if (!body) return reply
    const phone = phoneFrom(body.phoneNumber, code, reply)
    if (phone === undefined) return reply
    const result = state.sms.createContact(code, list, phone, body, now())
    return answer(reply, result, 201, (contact) => ({ resourceId: contact.phoneNumber }))
  })

  app.put<SenderCodeParams>(`${SENDER_CODE}/Contact`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    if (!code) return reply
    const body = jsonBody(request, reply, smsContactBody, 'contactResource')
    if (!body) return reply
    const phone = phoneFrom(body.phoneNumber, code, reply)
    if (phone === undefined) return reply
    const result = state.sms.updateContact(code, phone, body, now())
    return answer(reply, result, 200, (contact) => ({ resourceId: contact.phoneNumber }))
  })

  /** The sender code's contact named in the path; answers 400 or 404 and returns undefined when there is none. */
  const contactFrom = (request: FastifyRequest<ContactParams>, reply: FastifyReply, code: SenderCodeState) => {
    const phone = phoneFrom(request.params.phoneNumber, code, reply)
    if (phone === undefined) return undefined
    const contact = code.contacts.get(phone)
    if (!contact) sendError(reply, notFound('senderCodeId and phoneNumber'))
    return contact
  }

  app.get<ContactParams>(CONTACT, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    const contact = code && contactFrom(request, reply, code)
    if (!contact) return reply
    return { status: 200, data: state.sms.details(contact) }
  })

  app.get<ContactParams>(`${CONTACT}/PhoneList`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    const contact = code && contactFrom(request, reply, code)
    if (!contact) return reply
    const query = queryFrom(request, reply, pageQuery)
    if (!query) return reply
    // `Collection[ContactListSubscription]`: no `nextPageCursor` in Listrak's definition.
    return { status: 200, data: [...contact.lists.values()].slice(query.cursor, query.cursor + query.count) }
  })

  const SUBSCRIPTION_NAMES = 'senderCodeId, phoneNumber, and phoneListId'

  /** The sender code, list and phone a subscription route names; answers 400 or 404 when one is not there. */
  const subscriptionFrom = (request: FastifyRequest<SubscriptionParams>, reply: FastifyReply) => {
    const code = senderCodeFrom(request, reply)
    const list = code && listFrom(request, reply, code, SUBSCRIPTION_NAMES)
    const phone = code && list && phoneFrom(request.params.phoneNumber, code, reply)
    return code && list && phone !== undefined ? { code, list, phone } : undefined
  }

  app.post<SubscriptionParams>(`${CONTACT}/PhoneList/:phoneListId`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const named = subscriptionFrom(request, reply)
    if (!named) return reply
    const result = state.sms.subscribeContact(named.code, named.list, named.phone, now())
    if (!result) return sendError(reply, notFound(SUBSCRIPTION_NAMES))
    return answer(reply, result, 201, (contact) => ({ resourceId: contact.phoneNumber }))
  })

  app.delete<SubscriptionParams>(
    `${SENDER_CODE}/ContactUnsubscribe/:phoneNumber/PhoneList/:phoneListId`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const named = subscriptionFrom(request, reply)
      if (!named) return reply
      // Listrak's one 404 says the same whether the list or the phone is not there: so does the sandbox's.
      const result = state.sms.unsubscribeContact(named.code, named.list, named.phone, now())
      if (!result) return sendError(reply, notFound(SUBSCRIPTION_NAMES))
      return answer(reply, result, 200, () => ({}))
    }
  )

  app.get<PhoneListParams>(`${PHONE_LIST}/TransactionalMessage`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const code = senderCodeFrom(request, reply)
    const list = code && listFrom(request, reply, code, 'senderCodeId and phoneListId')
    if (!list) return reply
    return { status: 200, data: [...list.messages.values()] }
  })

  const MESSAGE_NAMES = 'phoneListId, transactionalMessageId, and SenderCodeId'

  // Listrak names this route's parameter `SenderCodeId`, and types it a string: the same sender code ID all the same.
  app.post<MessageParams>(
    `${PHONE_LIST}/TransactionalMessage/:transactionalMessageId/Message`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const code = senderCodeFrom(request, reply)
      const list = code && listFrom(request, reply, code, MESSAGE_NAMES)
      if (!code || !list) return reply
      const id = parseId(request.params.transactionalMessageId)
      const message = id === undefined ? undefined : list.messages.get(id)
      if (!message) {
        const owner = id === undefined ? undefined : state.sms.messageOwner(code, id)
        if (!owner)
          return sendError(reply, id === undefined ? invalidId('transactionalMessageId') : notFound(MESSAGE_NAMES))
        const text = `Transactional message ${id} is not a message of list ${list.list.phoneListId}, but of list ${owner.list.phoneListId}.`
        return sendError(reply, envelope(400, SMS_ERROR.TRANSACTIONAL_MESSAGE_NOT_FOUND, text))
      }
      const body = jsonBody(request, reply, smsTransactionalMessageContact, 'contactResource')
      if (!body) return reply
      const phone = phoneFrom(body.phoneNumber, code, reply)
      if (phone === undefined) return reply
      const result = state.sms.send(code, list, message, phone, body.messageContent, now())
      if (result.ok) state.stats.smsMessagesSent++
      return answer(reply, result, 201, (send) => ({ resourceId: String(send.sequence) }))
    }
  )

  // Inspection, outside Listrak's paths.
  app.get('/_sandbox/sms/contacts', async (request, reply) => {
    const query = inspectionQuery(request, reply, contactsQuery)
    if (!query) return reply
    const senderCodeId = Number(query.senderCodeId)
    const code = state.sms.senderCodes.get(senderCodeId)
    if (!code) {
      const message = `The sandbox has no sender code ${senderCodeId}.`
      return sendError(reply, envelope(404, SMS_ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    }
    return { senderCodeId, contacts: state.sms.contactsOf(code) }
  })
  app.get('/_sandbox/sms/messages', async (request, reply) => {
    const query = inspectionQuery(request, reply, messagesQuery)
    return query ? state.sms.messagesSent(query) : reply
  })
}
