import {
  ErrorCodes,
  getErrorCodeFromHttpStatus,
  IntegrationError,
  InvalidAuthenticationError,
  RetryableError
} from '@segment/actions-core'
import type { JSONLikeObject } from '@segment/actions-core'
import { z } from 'zod'

// Listrak's error envelope. The token endpoint may instead answer in OAuth2's own shape, so both are read.
const errorEnvelope = z.object({
  status: z.union([z.number(), z.string()]).optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  error_description: z.string().optional()
})

export interface ListrakFailure {
  /** The status Segment acts on: 400-class is final, 401 refreshes the token, 408/429/5xx are retried. */
  status: number
  errortype: keyof typeof ErrorCodes
  message: string
  /** Listrak's answer, when it sent one, so the event's result shows what Listrak said. */
  body?: JSONLikeObject | string
  /** How Listrak answered ("HTTP 500 ERROR_UNHANDLED_EXCEPTION: …"), when it answered. */
  said?: string
  /** When no answer came at all: the network error ("ECONNRESET socket hang up") and its code, when it has one. */
  network?: { code?: string; reason: string }
}

const MAX_QUOTED_BODY = 300

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Listrak's own words for a failure: its error code and message, or the start of whatever it sent. */
export function listrakSaid(status: number, content: string): { said: string; body?: JSONLikeObject | string } {
  const parsed = errorEnvelope.safeParse(parseJson(content))
  if (parsed.success && (parsed.data.error || parsed.data.message || parsed.data.error_description)) {
    const { error, message, error_description } = parsed.data
    const text = [error, message ?? error_description].filter(Boolean).join(': ')
    return { said: `HTTP ${status} ${text}`, body: parsed.data }
  }
  const trimmed = content.trim()
  if (!trimmed) return { said: `HTTP ${status} with an empty body` }
  const quoted = trimmed.length > MAX_QUOTED_BODY ? `${trimmed.slice(0, MAX_QUOTED_BODY)}…` : trimmed
  return { said: `HTTP ${status}: ${quoted}`, body: quoted }
}

/** What a 404 from Listrak means for an import: an unknown list, or a payload over Listrak's undisclosed limit. */
const IMPORT_NOT_FOUND =
  'the list does not exist for these API credentials, ' +
  'or the import was too large (Listrak answers 404 for oversized payloads). Check the List ID.'

/**
 * Describes a non-2xx answer from Listrak. `subject` names what was asked ("the import for list 12345")
 * so the message says where to look; `notFound` says what a 404 means for it.
 */
export function httpFailure(
  status: number,
  content: string,
  subject: string,
  notFound = IMPORT_NOT_FOUND
): ListrakFailure {
  const { said, body } = listrakSaid(status, content)
  let message: string
  if (status === 400) {
    message = `Listrak refused ${subject} (${said}). Fix the data or the mapping; this is not retried.`
  } else if (status === 401) {
    message = `Listrak refused the access token for ${subject} (${said}). A new token is requested and the events retried.`
  } else if (status === 404) {
    message = `Listrak answered ${said} for ${subject}: ${notFound}`
  } else if (status === 429) {
    message = `Listrak is rate limiting requests (${said}) for ${subject}; it will be retried later.`
  } else if (status >= 500) {
    message = `Listrak failed to process ${subject} (${said}); it will be retried.`
  } else {
    message = `Listrak refused ${subject} (${said}).`
  }
  const failure: ListrakFailure = { status, errortype: getErrorCodeFromHttpStatus(status), message, said }
  return body === undefined ? failure : { ...failure, body }
}

/** A request that got no HTTP answer at all: a timeout or a connection failure. Both are worth retrying. */
export function transportFailure(error: unknown, subject: string): ListrakFailure {
  const err = error as { name?: string; code?: string; message?: string }
  const reason = [err?.code, err?.message].filter(Boolean).join(' ') || String(error)
  const network = typeof err?.code === 'string' ? { code: err.code, reason } : { reason }
  const timedOut = err?.code === 'ETIMEDOUT' || err?.code === 'REQUESTTIMEOUTERROR' || err?.name === 'TimeoutError'
  if (timedOut) {
    return {
      status: 408,
      errortype: 'REQUEST_TIMEOUT',
      message: `Listrak did not answer ${subject} in time; it will be retried.`,
      network
    }
  }
  return {
    status: 500,
    errortype: 'RETRYABLE_ERROR',
    message: `Could not reach Listrak for ${subject} (${reason}); it will be retried.`,
    network
  }
}

/** The actions-core error that makes a single-event `perform` fail the way a batch result would. */
export function failureToError(failure: ListrakFailure): Error {
  if (failure.status === 401) return new InvalidAuthenticationError(failure.message)
  if (isRetryableStatus(failure.status)) {
    return new RetryableError(failure.message, failure.status as ConstructorParameters<typeof RetryableError>[1])
  }
  return new IntegrationError(failure.message, failure.errortype, failure.status)
}
