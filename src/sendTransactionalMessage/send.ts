import type { ListrakRequest } from '../api/client'
import { MultiStatusResponse } from '@segment/actions-core'
import { postTransactionalMessage, transactionalMessageSubject } from '../api/transactional-messages'
import { deferTokenRefresh, setFailureAt } from '../api/outcomes'
import { classifySendFailure, MessageFailure, mayHaveSent } from './outcome'
import type { MessageSend, PreparedMessage } from './prepare'

export type MessageOutcome =
  | { ok: true; status: number; body: { status: number; resourceId?: string } }
  | { ok: false; failure: MessageFailure }

/** Sends one message; a failure says whether it was surely not sent (retried) or may have been (not retried). */
export async function sendMessage(request: ListrakRequest, send: MessageSend): Promise<MessageOutcome> {
  const outcome = await postTransactionalMessage(request, send.listId, send.transactionalMessageId, send.contact)
  if (outcome.ok) return outcome
  const subject = transactionalMessageSubject(send.listId, send.transactionalMessageId)
  return { ok: false, failure: classifySendFailure(outcome.failure, subject) }
}

/** An event's message sent, with its outcome, or the event refused before sending. */
type Attempt = { send: MessageSend; outcome: MessageOutcome } | Extract<PreparedMessage, { ok: false }>

/**
 * What was sent for an event: the list, the message and the recipient with the merge values, and the keys of the
 * mapping that were left out, when there were any.
 */
const sentFor = (send: MessageSend) => ({
  listId: send.listId,
  transactionalMessageId: send.transactionalMessageId,
  ...send.contact,
  ...(send.ignored.length > 0 ? { ignoredProfileFieldKeys: send.ignored } : {})
})

/**
 * Sends every message of a batch, one request per event and never two for one event: the request client bounds
 * how many are in flight. One result per input event, in input order. When a message of the batch may have been
 * sent, a 401 is reported as a retryable 500, so that actions-core does not run the batch, and send it, again.
 */
export async function sendMessages(request: ListrakRequest, events: PreparedMessage[]): Promise<MultiStatusResponse> {
  const results = await Promise.all(
    events.map(
      async (prepared): Promise<Attempt> =>
        prepared.ok ? { send: prepared.send, outcome: await sendMessage(request, prepared.send) } : prepared
    )
  )
  const deferTokenRetries = results.some((result) => 'outcome' in result && mayHaveSent(result.outcome))
  const response = new MultiStatusResponse()
  results.forEach((result, index) => {
    if ('message' in result) {
      setFailureAt(response, index, { status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED', message: result.message })
      return
    }
    const { send, outcome } = result
    if (outcome.ok) {
      response.setSuccessResponseAtIndex(index, { status: outcome.status, sent: sentFor(send), body: outcome.body })
      return
    }
    const deferred = deferTokenRetries && outcome.failure.status === 401
    setFailureAt(response, index, deferred ? deferTokenRefresh(outcome.failure) : outcome.failure, sentFor(send))
  })
  return response
}
