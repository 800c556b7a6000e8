import type { Sandbox } from '../../sandbox'
import { waitFor } from '../wait'
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

/** A column mapping of a list import: the email address, or a profile field. */
export const EMAIL_COLUMN = { fileColumn: 0, fileColumnType: 'Email' }
export const fieldColumn = (fileColumn: number, segmentationFieldId: number) => ({
  fileColumn,
  fileColumnType: 'SegmentationField',
  segmentationFieldId
})

/**
 * An `ImportFile` of `csv` (Base64-encoded as Listrak takes it): comma-delimited, `"`-qualified, with column names,
 * adding subscribers with profile data from an Email column and a column of check-box field 6789; `change` replaces
 * any member.
 */
export const importFile = (csv: string, change: Record<string, unknown> = {}) => ({
  fileName: 'contacts.csv',
  fileDelimiter: ',',
  textQualifier: '"',
  hasColumnNames: true,
  importType: 'AddSubscribersAndSegmentationData',
  segmentationImportType: 'Update',
  fileMappings: [EMAIL_COLUMN, fieldColumn(1, 6789)],
  fileStream: Buffer.from(csv, 'utf8').toString('base64'),
  ...change
})

/** Listrak's contact, transactional message and list import routes, called over HTTP with one bearer token. */
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
    postListImport: (body: unknown, listId: number | string = 12345) => post(`/List/${listId}/ListImport`, body),
    /** The import's `ListImportStatus` once it says `Completed`. */
    completed: async (importFileId: number | string, listId = 12345) => {
      const status = () => get(`/List/${listId}/ListImport/${importFileId}/Status`)
      const answer = await waitFor(`list import ${importFileId} to complete`, status, (a) => {
        return (a.json?.data as { status?: string } | undefined)?.status === 'Completed'
      })
      return answer.json.data as unknown as { startDate: string; endDate: string | null; status: string }
    },
    /** The list's contacts with everything the sandbox holds of them, by lower-cased address. */
    contactDetails: async (listId = 12345) => {
      const answer = await api.call('GET', `/_sandbox/lists/${listId}/contacts?detail=full`)
      const contacts = answer.json.contacts as { emailAddress: string }[]
      return Object.fromEntries(contacts.map((c) => [c.emailAddress.toLowerCase(), c as Record<string, unknown>]))
    },
    messages: async (query = '') => (await api.call('GET', `/_sandbox/messages${query}`)).json
  }
}
