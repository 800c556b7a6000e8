import { createRequestClient } from '@segment/actions-core'
import type { RequestClient } from '@segment/actions-core'
import { limitRequests } from '../src/api/limit'
import { ConfigError, hasCredentials, RuntimeConfig } from './config'
import { connectListrak } from './index'
import { findMessageSends } from './message-activity'
import type { ActivityQuestion } from './message-activity'
import type { DeadLetter, DeadLetterFilter } from './queue'
import { fetchListrakToken, watchConnections } from './tokens'
import { decide, isUnknownOutcome, mergeQuestions, questionOf, settledLetter } from './unknown-outcomes'

/**
 * `dead-letters reconcile`: settles the dead letters of unknown outcome (messages that may or may not have gone)
 * from Listrak's activity of each message: sent, and never sent again; or not sent, for `dead-letters retry`.
 */

/** Questions to Listrak's activity in flight at once. */
const MAX_QUESTIONS_IN_FLIGHT = 4

/** What reconcile needs of the dead letters' store. */
export interface ReconcileStore {
  location: string
  deadLetters(filter?: DeadLetterFilter): Iterable<DeadLetter>
  reconcile(letters: DeadLetter[]): Promise<number>
}

export interface ReconcileReport {
  /** Dead letters of unknown outcome found. */
  found: number
  sent: number
  notSent: number
  /** Those still of unknown outcome, and why. */
  unsettled: { letter: DeadLetter; why: string }[]
}

/** A request client for Listrak's API with a token of the config's credentials; throws when none is had. */
export async function listrakReader(config: RuntimeConfig): Promise<RequestClient> {
  if (!hasCredentials(config)) {
    throw new ConfigError(
      "dead-letters reconcile asks Listrak's activity, so it needs the credentials the runtime delivers with " +
        '(settings.client_id and settings.client_secret, or LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET). ' +
        'Nothing was reconciled.'
    )
  }
  const { settings } = await connectListrak(config)
  let accessToken: string
  try {
    accessToken = (await fetchListrakToken(settings)).accessToken
  } catch (error) {
    throw new Error(`Nothing was reconciled: no token from Listrak. ${(error as Error).message}`)
  }
  const { request } = watchConnections(createRequestClient({ headers: { authorization: `Bearer ${accessToken}` } }))
  return limitRequests(request, MAX_QUESTIONS_IN_FLIGHT)
}

/**
 * Reconciles the store's dead letters of unknown outcome (those matching `filter`): asks Listrak's activity once per
 * message and recipient, settles what the answer allows (see `decide`) and stores it.
 */
export async function reconcile(
  store: ReconcileStore,
  config: RuntimeConfig,
  filter: DeadLetterFilter,
  connect: () => Promise<RequestClient>,
  now = Date.now()
): Promise<ReconcileReport> {
  const { activityDelayMs, windowMarginMs } = config.reconcile
  const report: ReconcileReport = { found: 0, sent: 0, notSent: 0, unsettled: [] }
  const groups = new Map<string, { letters: DeadLetter[]; questions: ActivityQuestion[] }>()
  for (const letter of store.deadLetters(filter)) {
    if (!isUnknownOutcome(letter)) continue
    report.found++
    const asked = questionOf(letter, config.subscriptions, windowMarginMs)
    if (!asked.ok) {
      report.unsettled.push({ letter, why: `cannot be checked: ${asked.why}` })
      continue
    }
    const group = groups.get(asked.key) ?? { letters: [], questions: [] }
    group.letters.push(letter)
    group.questions.push(asked.question)
    groups.set(asked.key, group)
  }
  if (groups.size === 0) return report
  const request = await connect()
  const checkedAt = new Date(now).toISOString()
  const settled: DeadLetter[] = []
  await Promise.all(
    [...groups.values()].map(async ({ letters, questions }) => {
      const answer = await findMessageSends(request, mergeQuestions(questions))
      if (!answer.ok) {
        const { said, network, message } = answer.failure
        // A network error's own words quote the URL, and with it the recipient's address: its code says enough.
        const failure = network ? `no answer from Listrak (${network.code ?? 'network error'})` : (said ?? message)
        const why = `Listrak's activity could not be read: ${failure}`
        for (const letter of letters) report.unsettled.push({ letter, why })
        return
      }
      const decisions = decide(
        questions.map((q) => q.until),
        answer.sends,
        now,
        activityDelayMs
      )
      decisions.forEach((decision, i) => {
        if (decision.outcome === 'unsettled') report.unsettled.push({ letter: letters[i], why: decision.why })
        else {
          settled.push(settledLetter(letters[i], decision, checkedAt))
          if (decision.outcome === 'sent') report.sent++
          else report.notSent++
        }
      })
    })
  )
  await store.reconcile(settled)
  report.unsettled.sort((a, b) => (a.letter.id ?? 0) - (b.letter.id ?? 0))
  return report
}

/** What a reconcile did, for the command line: the counts, then each letter still unsettled and why. */
export function formatReconcile(report: ReconcileReport, location: string, filter: string): string {
  if (report.found === 0) return `No dead letters of unknown outcome${filter} in ${location}.`
  const lines = [
    `${report.found} dead letter(s) of unknown outcome${filter} in ${location}, checked against Listrak's activity:`,
    `  sent, settled as delivered (never sent again): ${report.sent}`,
    `  not sent (dead-letters retry sends them):      ${report.notSent}`,
    `  not settled:                                   ${report.unsettled.length}`
  ]
  if (report.unsettled.length > 0) {
    lines.push('', 'Not settled (still of unknown outcome; dead-letters retry keeps them):')
    for (const { letter, why } of report.unsettled) {
      lines.push(`  ${letter.id ?? '-'}  ${letter.messageId ?? '-'}  ${why}`)
    }
  }
  return lines.join('\n')
}
