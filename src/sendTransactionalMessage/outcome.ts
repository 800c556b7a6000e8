import { IntegrationError } from '@segment/actions-core'
import { failureToError, ListrakFailure } from '../api/errors'

/**
 * A send whose outcome nobody knows: the request left, and no answer says whether Listrak took the message.
 * Listrak has no idempotency key, so sending again may email the customer twice; the event is not retried.
 */
export const OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN'

/**
 * The status of an unknown outcome. It must be one that nothing retries: actions-core's retryable statuses (408,
 * 423, 429, 5xx), which Segment retries, are out, as are the local runtime's (401, 408, 429, 5xx) and 401, which
 * makes actions-core run the whole batch again. 424 Failed Dependency, "the request depended on another action
 * that failed", is a final 4xx in all of them, and no answer of Listrak's uses it, so it names this case alone.
 */
export const OUTCOME_UNKNOWN_STATUS = 424

export type MessageFailure = Omit<ListrakFailure, 'errortype'> & {
  errortype: ListrakFailure['errortype'] | typeof OUTCOME_UNKNOWN
}

/** Network errors raised before a connection existed: not a byte of the request left. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])

const CHECK_BEFORE_RESENDING =
  "Check the transactional message's activity in Listrak before sending it again; this event is not retried, " +
  'so that no one gets the message twice.'

/**
 * Pure: what a failed send means, given that Listrak cannot tell a repeated message from a new one. Retried only
 * when the message surely was not taken: no connection was made (ECONNREFUSED, or no address for Listrak), Listrak
 * answered 429 (rate limited) or 503 (it answers 503 before processing), or it refused the token (401). Listrak's
 * other refusals (400, 404 …) are final as they are. A timeout, a connection dropped after the request left
 * (ECONNRESET, socket hang up) or another 5xx leaves the outcome unknown: a final OUTCOME_UNKNOWN.
 */
export function classifySendFailure(failure: ListrakFailure, subject: string): MessageFailure {
  const { network } = failure
  if (network) {
    if (network.code !== undefined && NOT_CONNECTED.has(network.code)) {
      return {
        ...failure,
        status: 500,
        errortype: 'RETRYABLE_ERROR',
        message: `Could not connect to Listrak for ${subject} (${network.reason}): nothing was sent; it will be retried.`
      }
    }
    return unknown(
      failure,
      `No answer from Listrak for ${subject} after the request was sent (${network.reason}): ` +
        'the message may or may not have been sent.'
    )
  }
  if (failure.status === 503) {
    return {
      ...failure,
      message: `Listrak is unavailable (${failure.said ?? 'HTTP 503'}) and did not take ${subject}; it will be retried.`
    }
  }
  if (failure.status === 408 || failure.status >= 500) {
    return unknown(
      failure,
      `Listrak answered ${failure.said ?? `HTTP ${failure.status}`} for ${subject}, which does not say whether it ` +
        'took the message: it may or may not have been sent.'
    )
  }
  return failure
}

function unknown(failure: ListrakFailure, what: string): MessageFailure {
  return {
    ...failure,
    status: OUTCOME_UNKNOWN_STATUS,
    errortype: OUTCOME_UNKNOWN,
    message: `${what} ${CHECK_BEFORE_RESENDING}`
  }
}

/** Whether a send may have put a message in someone's inbox: it was accepted, or nobody knows. */
export const mayHaveSent = (outcome: { ok: boolean; failure?: MessageFailure }) =>
  outcome.ok || outcome.failure?.errortype === OUTCOME_UNKNOWN

/** The actions-core error a single event's failed send throws: final for an unknown outcome, as for a batch. */
export function messageFailureToError(failure: MessageFailure): Error {
  if (failure.errortype === OUTCOME_UNKNOWN) {
    return new IntegrationError(failure.message, OUTCOME_UNKNOWN, failure.status)
  }
  return failureToError({ ...failure, errortype: failure.errortype })
}
