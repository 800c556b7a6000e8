import type { Sandbox } from '../../sandbox'
import { client } from './client'

/** The client-credentials forms of the default fixture's SMS and Data integrations. */
export const SMS_TOKEN_FORM =
  'grant_type=client_credentials&client_id=demo-sms-client-id&client_secret=demo-sms-client-secret'
export const DATA_TOKEN_FORM =
  'grant_type=client_credentials&client_id=demo-data-client-id&client_secret=demo-data-client-secret'

/** A phone of the default fixture's sender code 101 that is neither banned nor suspended. */
export const JANE = '2155550123'

const path = (phone: string) => encodeURIComponent(phone)

/** Listrak's SMS routes, called over HTTP with one bearer token; sender code 101 and list 201 unless said. */
export function smsApi(sandbox: Sandbox, token: string) {
  const api = client(sandbox)
  const authorization = `Bearer ${token}`
  const call = (method: string, route: string, body?: unknown) =>
    api.call(method, `/sms/v1${route}`, {
      headers: body === undefined ? { authorization } : { authorization, 'content-type': 'application/json' },
      body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body)
    })
  return {
    call,
    get: (route: string) => call('GET', route),
    create: (body: unknown, listId: number | string = 201, senderCodeId: number | string = 101) =>
      call('POST', `/ShortCode/${senderCodeId}/PhoneList/${listId}/Contact`, body),
    update: (body: unknown, senderCodeId: number | string = 101) =>
      call('PUT', `/ShortCode/${senderCodeId}/Contact`, body),
    contact: (phone: string, senderCodeId: number | string = 101) =>
      call('GET', `/ShortCode/${senderCodeId}/Contact/${path(phone)}`),
    subscriptions: (phone: string) => call('GET', `/ShortCode/101/Contact/${path(phone)}/PhoneList`),
    subscribe: (phone: string, listId: number | string = 201) =>
      call('POST', `/ShortCode/101/Contact/${path(phone)}/PhoneList/${listId}`),
    unsubscribe: (phone: string, listId: number | string = 201) =>
      call('DELETE', `/ShortCode/101/ContactUnsubscribe/${path(phone)}/PhoneList/${listId}`),
    send: (body: unknown, messageId: number | string = 401, listId: number | string = 201, senderCodeId = 101) =>
      call('POST', `/ShortCode/${senderCodeId}/PhoneList/${listId}/TransactionalMessage/${messageId}/Message`, body),
    /** `GET /_sandbox/sms/contacts` of sender code 101: its contacts by phone. */
    contacts: async (senderCodeId = 101) => {
      const answer = await api.call('GET', `/_sandbox/sms/contacts?senderCodeId=${senderCodeId}`)
      const contacts = answer.json.contacts as { phoneNumber: string }[]
      return Object.fromEntries(contacts.map((c) => [c.phoneNumber, c as Record<string, unknown>]))
    },
    messages: async (query = '') => (await api.call('GET', `/_sandbox/sms/messages${query}`)).json
  }
}

/** A started sandbox's SMS routes with a token of its SMS integration. */
export async function smsApiFor(sandbox: Sandbox) {
  return smsApi(sandbox, await client(sandbox).token(SMS_TOKEN_FORM))
}
