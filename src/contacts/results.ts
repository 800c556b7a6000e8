import { MultiStatusResponse } from '@segment/actions-core'
import { deferTokenRefresh, setFailureAt } from '../api/outcomes'
import type { ContactSequence } from './plan'
import type { PreparedContact } from './prepare'
import { ContactOutcome, sentFor } from './send'

/**
 * One result per input event, in input order: refused events carry their reason; the others the outcome of the
 * request their contact went in, with that request as `sent` unless it was held back unsent. When an accepted
 * request raised events or sent a double opt-in, a 401 is reported as a retryable 500, so that actions-core does
 * not run the batch again.
 */
export function toMultiStatus(
  events: PreparedContact[],
  sequences: ContactSequence[],
  outcomes: ContactOutcome[][]
): MultiStatusResponse {
  const response = new MultiStatusResponse()
  events.forEach((prepared, index) => {
    if (prepared.ok) return
    const failure = prepared.failure ?? { status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' as const }
    setFailureAt(response, index, { ...failure, message: prepared.message })
  })
  const repeatsWhatCustomersSee = sequences.some((sequence, s) =>
    sequence.some(
      (planned, r) => outcomes[s][r].ok && (planned.options.eventIds.length > 0 || planned.options.sendDoubleOptIn)
    )
  )
  sequences.forEach((sequence, s) =>
    sequence.forEach((planned, r) => {
      const outcome = outcomes[s][r]
      for (const index of planned.eventIndexes) {
        const event = events[index]
        const ignored = event.ok && event.change.ignored.length > 0 ? event.change.ignored : undefined
        const sent = { ...sentFor(planned), ...(ignored ? { ignoredProfileFieldKeys: ignored } : {}) }
        if (outcome.ok) {
          response.setSuccessResponseAtIndex(index, { status: outcome.status, sent, body: outcome.body })
          continue
        }
        const deferred = repeatsWhatCustomersSee && outcome.failure.status === 401
        const failure = deferred ? deferTokenRefresh(outcome.failure) : outcome.failure
        setFailureAt(response, index, failure, outcome.held ? undefined : sent)
      }
    })
  )
  return response
}
