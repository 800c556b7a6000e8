import type { ErrorCodes, JSONLikeObject, MultiStatusResponse } from '@segment/actions-core'
import type { ListrakFailure } from './errors'

/** A failure as an event's result: its status, type and message, what was sent for it, and Listrak's answer. */
export function setFailureAt(
  response: MultiStatusResponse,
  index: number,
  failure: Pick<ListrakFailure, 'status' | 'message' | 'body'> & { errortype: string },
  sent?: JSONLikeObject
): void {
  response.setErrorResponseAtIndex(index, {
    status: failure.status,
    // actions-core types `errortype` as one of its ErrorCodes and passes any other through unchanged, as
    // IntegrationError's code does for a single event; OUTCOME_UNKNOWN says what none of its codes says.
    errortype: failure.errortype as keyof typeof ErrorCodes,
    errormessage: failure.message,
    ...(sent === undefined ? {} : { sent }),
    ...(failure.body === undefined ? {} : { body: failure.body })
  })
}

/**
 * actions-core answers a 401 among a batch's results by fetching a new token and running the whole batch again,
 * so every request Listrak accepted in it is sent a second time. Where that repeats something a customer sees
 * (a transactional email, a raised event), the 401 is reported as a retryable 500 instead: Segment retries that
 * event on its own later, and a 401 then, in a batch where nothing else was accepted, gets the new token.
 */
export function deferTokenRefresh(failure: Omit<ListrakFailure, 'errortype'>): ListrakFailure {
  return {
    ...failure,
    status: 500,
    errortype: 'RETRYABLE_ERROR',
    message:
      `${failure.message} It is reported as 500 so that it is retried on its own: ` +
      'running the whole batch again at once would repeat what Listrak already accepted in it.'
  }
}

/** Listrak's error code in a failure's body ("ERROR_UNSUBSCRIBED_EMAIL_ADDRESS"), when it sent one. */
export function listrakErrorCode(failure: ListrakFailure): string | undefined {
  const error = typeof failure.body === 'object' ? failure.body.error : undefined
  return typeof error === 'string' ? error : undefined
}
