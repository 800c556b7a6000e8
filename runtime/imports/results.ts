import type { DeadLetterInput } from '../queue'
import {
  FinishedImport,
  FollowUp,
  FollowUpEnd,
  FollowUpOutcome,
  FollowUpRow,
  MAX_KEPT_REFUSALS,
  Refusal
} from '../queue/follow-ups'

/**
 * Pure: what an import's status and per-contact results mean for the events sent in it. Listrak documents neither
 * vocabulary: `ListImportStatus.status` and `ListImportContact.importResult` are strings whose values its contract
 * does not list. So the words are read leniently, by what they contain, and the rules here are the one place to
 * change when Listrak's own words are known.
 */

/** What Listrak says of an import at a poll: `ListImportStatus`. */
export interface ImportStatus {
  startDate?: string | null
  endDate?: string | null
  status?: string | null
}

/** One row of `ListImportContact`. */
export interface ImportResult {
  emailAddress?: string | null
  importResult?: string | null
}

/**
 * Where an import is, by its status: `completed` when its status word says so (Completed, Complete, Finished, Done,
 * Success, "completed with errors": its results then say which rows failed), `failed` when it says it failed or was
 * stopped (Failed, Error, Aborted, Cancelled: no row is known to be applied), else `completed` once Listrak set its end
 * date, and `pending` until then (Queued, Processing, …).
 */
export function importState(status: ImportStatus): 'completed' | 'failed' | 'pending' {
  const word = status.status ?? ''
  if (/complete|finish|done|success/i.test(word)) return 'completed'
  if (/fail|error|abort|cancel/i.test(word)) return 'failed'
  return status.endDate?.trim() ? 'completed' : 'pending'
}

/**
 * Listrak refused the contact: its address is invalid, banned or suppressed (the sandbox says InvalidEmail, Banned,
 * Suppressed; Listrak's summary counts invalidEmailCount, bannedCount, suppressedCount). Every other word — added,
 * updated, already subscribed, skipped — leaves the event delivered.
 */
export const isRefused = (importResult: string): boolean => /invalid|banned|suppress/i.test(importResult)

/** Listrak compares addresses without case; so are rows matched to results. */
const addressKey = (address: string) => address.trim().toLowerCase()

/** Each row whose address Listrak's results refused, with Listrak's word; rows of addresses it took are left out. */
export function refusedRows(
  rows: FollowUpRow[],
  results: ImportResult[]
): { row: FollowUpRow; importResult: string }[] {
  const refusals = new Map<string, string>()
  for (const { emailAddress, importResult } of results) {
    // A result with no address or no word says nothing of any row.
    if (!emailAddress || !importResult || !isRefused(importResult)) continue
    if (!refusals.has(addressKey(emailAddress))) refusals.set(addressKey(emailAddress), importResult)
  }
  return rows.flatMap((row) => {
    const importResult = refusals.get(addressKey(row.emailAddress))
    return importResult === undefined ? [] : [{ row, importResult }]
  })
}

const importName = (followUp: FollowUp) => `list import ${followUp.importFileId} on list ${followUp.listId}`

export const refusedReason = (followUp: FollowUp, emailAddress: string, importResult: string) =>
  `Listrak refused ${emailAddress} in ${importName(followUp)}: ${importResult}`

/** Why the events of an import whose outcome is unknown are dead-lettered, and the status their letters carry. */
export function unknownReason(
  followUp: FollowUp,
  outcome: Exclude<FollowUpOutcome, 'completed'>,
  detail: { followUpMaxMs?: number; said?: string }
): { status: number; reason: string } {
  const name = importName(followUp)
  const unknown = 'whether Listrak took this address is unknown'
  const again = 'dead-letters retry sends the event again, which sets the same values'
  const last = followUp.status ? `; Listrak's last status: ${followUp.status}` : ''
  const said = detail.said ? ` (${detail.said})` : ''
  switch (outcome) {
    case 'timed-out':
      return {
        status: 504,
        reason:
          `${name[0].toUpperCase()}${name.slice(1)} did not complete within imports.followUpMaxMs ` +
          `(${detail.followUpMaxMs} ms${last})${said}: ${unknown}; ${again}.`
      }
    case 'not-found':
      return { status: 404, reason: `Listrak does not know ${name}${said}: ${unknown}; ${again}.` }
    case 'failed':
      return { status: 502, reason: `Listrak reports ${name} as ${followUp.status ?? 'failed'}: ${unknown}; ${again}.` }
    case 'stopped':
      return {
        status: 503,
        reason:
          `The runtime stopped before the results of ${name} came, and its queue is in memory: ${unknown}; ` +
          'send the event again to be sure.'
      }
  }
}

const letterOf = (followUp: FollowUp, row: FollowUpRow, status: number, reason: string): DeadLetterInput => ({
  subscription: followUp.subscription,
  status,
  reason,
  attempts: row.attempts,
  listId: followUp.listId,
  event: row.event
})

function report(
  followUp: FollowUp,
  rows: FollowUpRow[],
  outcome: FollowUpOutcome,
  finishedAt: string,
  letters: number,
  refusals: Refusal[] = []
): FinishedImport {
  const { subscription, listId, importFileId, importType, startedAt, status } = followUp
  const unique = new Map(refusals.map((refusal) => [addressKey(refusal.emailAddress), refusal]))
  return {
    subscription,
    listId,
    importFileId,
    ...(importType ? { importType } : {}),
    startedAt,
    finishedAt,
    outcome,
    ...(status ? { status } : {}),
    rows: rows.length,
    deadLettered: letters,
    refused: refusals.length,
    refusals: [...unique.values()].slice(0, MAX_KEPT_REFUSALS)
  }
}

/** A completed import: a dead letter for each row whose address Listrak refused. */
export function completedEnd(
  followUp: FollowUp,
  rows: FollowUpRow[],
  results: ImportResult[],
  finishedAt: string
): FollowUpEnd {
  const refused = refusedRows(rows, results)
  const letters = refused.map(({ row, importResult }) =>
    letterOf(followUp, row, 400, refusedReason(followUp, row.emailAddress, importResult))
  )
  const refusals = refused.map(({ row, importResult }) => ({ emailAddress: row.emailAddress, importResult }))
  return { report: report(followUp, rows, 'completed', finishedAt, letters.length, refusals), letters }
}

/** An import whose outcome is unknown: every row dead-lettered with the reason, never counted delivered beyond its 201. */
export function unknownEnd(
  followUp: FollowUp,
  rows: FollowUpRow[],
  outcome: Exclude<FollowUpOutcome, 'completed'>,
  finishedAt: string,
  detail: { followUpMaxMs?: number; said?: string } = {}
): FollowUpEnd {
  const { status, reason } = unknownReason(followUp, outcome, detail)
  const letters = rows.map((row) => letterOf(followUp, row, status, reason))
  return { report: report(followUp, rows, outcome, finishedAt, letters.length), letters }
}
