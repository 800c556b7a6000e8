import { z } from 'zod'
import { callListrak, collection, CreatedOutcome, ListrakRequest, ListrakResult, postResource } from './client'
import type { SegmentationFieldValue } from './contacts'
import type { ListrakUrls } from './urls'

export const transactionalMessagesUrl = (urls: ListrakUrls, listId: number) =>
  `${urls.api}/List/${listId}/TransactionalMessage`
const transactionalMessageSendUrl = (urls: ListrakUrls, listId: number, transactionalMessageId: number) =>
  `${transactionalMessagesUrl(urls, listId)}/${transactionalMessageId}/Message`

// Listrak's `TransactionalMessage`: its name and subject may be missing.
const transactionalMessage = z.object({
  transactionalMessageId: z.number().int(),
  transactionalMessageName: z.string().nullish(),
  subject: z.string().nullish()
})

export type TransactionalMessage = z.infer<typeof transactionalMessage>

/** Listrak's `TransactionalMessageContact`: the recipient, and the profile field values the message merges in. */
export type TransactionalMessageContact = {
  emailAddress: string
  /** Listrak wants an empty array when there are none. */
  segmentationFieldValues: SegmentationFieldValue[]
}

const LIST_NOT_FOUND = 'the list does not exist for these API credentials. Check the List ID.'

/** `GET /List/{listId}/TransactionalMessage`: the transactional messages of the list. */
export function getTransactionalMessages(
  request: ListrakRequest,
  listId: number
): Promise<ListrakResult<TransactionalMessage[]>> {
  return callListrak(
    request,
    transactionalMessagesUrl(request.urls, listId),
    { method: 'GET', notFound: LIST_NOT_FOUND },
    `the transactional messages of list ${listId}`,
    collection(transactionalMessage)
  )
}

/** `POST /List/{listId}/TransactionalMessage/{transactionalMessageId}/Message`: sends the message to one contact. */
export function postTransactionalMessage(
  request: ListrakRequest,
  listId: number,
  transactionalMessageId: number,
  contact: TransactionalMessageContact
): Promise<CreatedOutcome> {
  return postResource(
    request,
    transactionalMessageSendUrl(request.urls, listId, transactionalMessageId),
    contact,
    transactionalMessageSubject(listId, transactionalMessageId),
    'the list or the transactional message does not exist for these API credentials. ' +
      'Check the List ID and the Transactional Message ID.'
  )
}

/** How messages name one send: the message and its list, never the recipient. */
export const transactionalMessageSubject = (listId: number, transactionalMessageId: number) =>
  `transactional message ${transactionalMessageId} on list ${listId}`
