import { MultiStatusResponse } from '@segment/actions-core'
import type { JSONLikeObject } from '@segment/actions-core'
import type { CreatedOutcome } from '../api/client'
import { deferTokenRefresh, setFailureAt } from '../api/outcomes'
import type { PlannedImport, PlannedRow } from './bulk-plan'
import type { ContactSequence } from './plan'
import type { PreparedContact } from './prepare'
import { ContactOutcome, sentFor } from './send'

/**
 * What was sent for an event that went in an import: the list, the contact's row as its values and as the line of
 * the file, and the import's options. A runtime that follows imports up finds the contact by `listId` and
 * `emailAddress`.
 */
function sentInImport(planned: PlannedImport, row: PlannedRow): JSONLikeObject {
  return {
    listId: planned.listId,
    emailAddress: row.emailAddress,
    importType: planned.importType,
    segmentationImportType: planned.segmentationImportType,
    ...(row.externalContactID === undefined ? {} : { externalContactID: row.externalContactID }),
    values: Object.fromEntries([...row.values].map(([id, value]) => [String(id), value])),
    row: row.line
  }
}

/**
 * The result of an event whose contact went in an accepted import. The import is applied later, and only then does
 * Listrak say whether it took each contact (an address it bans, suppresses or finds invalid is counted among the
 * import's results): the outcome is `pending`, and `via` with `resourceId` say where to read it.
 */
const importAccepted = (planned: PlannedImport, outcome: Extract<CreatedOutcome, { ok: true }>): JSONLikeObject => ({
  ...outcome.body,
  via: 'ListImport',
  importType: planned.importType,
  outcome: 'pending'
})

/**
 * One result per input event, in input order: refused events carry their reason; the others the outcome of the
 * request or the import their contact went in, with what was sent for it unless it was held back unsent. When an
 * accepted request raised events or sent a double opt-in, a 401 is reported as a retryable 500, so that actions-core
 * does not run the batch again.
 */
export function toMultiStatus(
  events: PreparedContact[],
  sequences: ContactSequence[],
  outcomes: ContactOutcome[][],
  imports: PlannedImport[] = [],
  importOutcomes: CreatedOutcome[] = []
): MultiStatusResponse {
  const response = new MultiStatusResponse()
  events.forEach((prepared, index) => {
    if (prepared.ok) return
    const failure = prepared.failure ?? { status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' as const }
    setFailureAt(response, index, { ...failure, message: prepared.message })
  })
  const ignoredKeys = (index: number) => {
    const event = events[index]
    return event.ok && event.change.ignored.length > 0 ? { ignoredProfileFieldKeys: event.change.ignored } : {}
  }
  // An import neither raises events nor sends email, so running it again after a new token repeats nothing seen.
  const repeatsWhatCustomersSee = sequences.some((sequence, s) =>
    sequence.some(
      (planned, r) => outcomes[s][r].ok && (planned.options.eventIds.length > 0 || planned.options.sendDoubleOptIn)
    )
  )
  sequences.forEach((sequence, s) =>
    sequence.forEach((planned, r) => {
      const outcome = outcomes[s][r]
      for (const index of planned.eventIndexes) {
        const sent = { ...sentFor(planned), ...ignoredKeys(index) }
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
  imports.forEach((planned, i) => {
    const outcome = importOutcomes[i]
    for (const row of planned.rows) {
      for (const index of row.eventIndexes) {
        const sent = { ...sentInImport(planned, row), ...ignoredKeys(index) }
        if (outcome.ok) {
          response.setSuccessResponseAtIndex(index, {
            status: outcome.status,
            sent,
            body: importAccepted(planned, outcome)
          })
          continue
        }
        const deferred = repeatsWhatCustomersSee && outcome.failure.status === 401
        setFailureAt(response, index, deferred ? deferTokenRefresh(outcome.failure) : outcome.failure, sent)
      }
    }
  })
  return response
}
