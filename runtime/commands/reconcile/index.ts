import type { Logger } from 'pino'
import type { ListrakRequest } from '../../../src/api/client'
import type { RuntimeConfig } from '../../config'
import { LmdbQueue } from '../../queue/lmdb/queue'
import { findMessageSends } from './message-activity'
import type { ActivityQuestion } from './message-activity'
import type { DeadLetter, DeadLetterFilter, EventQueue } from '../../queue'
import { TokenCache, withToken } from '../../pipeline/tokens'
import { decide, isUnknownOutcome, mergeQuestions, questionOf, settledLetter } from './unknown-outcomes'

/**
 * `dead-letters reconcile`: settles the dead letters of unknown outcome (messages that may or may not have gone)
 * from Listrak's activity of each message: sent, and never sent again; or not sent, for `dead-letters retry`.
 */

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

/**
 * The runtime's own pass (`reconcile.everyMs`): every so often, settles its store's dead letters of unknown outcome
 * with the runtime's token, and logs what it did. It only settles: a message found not sent goes again when an
 * operator runs `dead-letters retry`. Undefined when it is off, or the queue is not the LMDB store.
 */
export function startReconcilePass(
  queue: EventQueue,
  config: RuntimeConfig,
  tokens: TokenCache,
  logger: Logger
): { stop(): Promise<void> } | undefined {
  const { everyMs } = config.reconcile
  if (everyMs === 0 || !(queue instanceof LmdbQueue)) return undefined
  let running: Promise<void> | undefined
  const pass = async () => {
    const report = await reconcile(queue, config, {}, async () => withToken(await tokens.get()))
    if (report.found === 0) return
    const { found, sent, notSent, unsettled } = report
    logger.info(
      { found, sent, notSent, unsettled: unsettled.length, store: queue.location },
      "reconciled dead letters of unknown outcome with Listrak's activity; dead-letters retry sends those not sent"
    )
  }
  const timer = setInterval(() => {
    running ??= pass()
      .catch((error: Error) => logger.error({ err: error.message }, 'reconciling unknown outcomes failed'))
      .finally(() => (running = undefined))
  }, everyMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    }
  }
}

/**
 * Reconciles the store's dead letters of unknown outcome (those matching `filter`): asks Listrak's activity once per
 * message and recipient, settles what the answer allows (see `decide`) and stores it.
 */
export async function reconcile(
  store: ReconcileStore,
  config: RuntimeConfig,
  filter: DeadLetterFilter,
  connect: () => Promise<ListrakRequest>,
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
