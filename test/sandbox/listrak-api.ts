import type { Sandbox } from '../../sandbox'
import { client } from './client'

export type Answer = Awaited<ReturnType<ReturnType<typeof client>['call']>>

/** A refusal as Listrak answers it: the HTTP status, and the same status with the error code in the envelope. */
export function expectRefusal(answer: Answer, status: number, error: string, message?: string) {
  expect([answer.status, answer.json]).toEqual([
    status,
    { status, error, message: message === undefined ? expect.any(String) : expect.stringContaining(message) }
  ])
}

export const values = (...fields: [number, string][]) =>
  fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))

/** Listrak's contact and transactional message routes, called over HTTP with one bearer token. */
export function listrakApi(sandbox: Sandbox, token: string) {
  const api = client(sandbox)
  const authorization = `Bearer ${token}`
  const post = (path: string, body: unknown) =>
    api.call('POST', `/email/v1${path}`, {
      headers: { authorization, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })
  const get = (path: string) => api.call('GET', `/email/v1${path}`, { headers: { authorization } })
  return {
    get,
    /** `POST /List/{listId}/Contact`, `query` as `?overrideUnsubscribe=true` etc. */
    postContact: (body: unknown, query = '', listId: number | string = 12345) =>
      post(`/List/${listId}/Contact${query}`, body),
    getContact: (identifier: string, query = '', listId: number | string = 12345) =>
      get(`/List/${listId}/Contact/${encodeURIComponent(identifier)}${query}`),
    send: (body: unknown, messageId: number | string = 9001, listId: number | string = 12345) =>
      post(`/List/${listId}/TransactionalMessage/${messageId}/Message`, body),
    /** The list's contacts with everything the sandbox holds of them, by lower-cased address. */
    contactDetails: async (listId = 12345) => {
      const answer = await api.call('GET', `/_sandbox/lists/${listId}/contacts?detail=full`)
      const contacts = answer.json.contacts as { emailAddress: string }[]
      return Object.fromEntries(contacts.map((c) => [c.emailAddress.toLowerCase(), c as Record<string, unknown>]))
    },
    messages: async (query = '') => (await api.call('GET', `/_sandbox/messages${query}`)).json
  }
}
