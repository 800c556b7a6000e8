import { transform } from '@segment/actions-core'
import { z } from 'zod'
import { OUTCOME_UNKNOWN_STATUS } from '../../../src/sendTransactionalMessage/outcome'
import { normalizeEmail } from '../../../src/profile-fields/rules'
import { actionOf } from '../../pipeline/actions'
import type { SubscriptionConfig } from '../../config'
import type { ActivityQuestion, MessageSendFound } from './message-activity'
import type { DeadLetter, Reconciliation } from '../../queue'
import { withFieldDefaults } from '../../pipeline/subscriptions'

/**
 * Pure: how a dead letter of unknown outcome (a transactional message that may or may not have gone) is settled
 * from Listrak's activity of the message: which question to ask of it, and what the answer means.
 */

export interface ReconcileTiming {
  /** How long a send may take to show in Listrak's activity; only after it does "no send found" mean "not sent". */
  activityDelayMs: number
  /** Added either side of the time the message may have been sent: the clocks of this machine and Listrak's. */
  windowMarginMs: number
}

/** A message that may have been sent, not yet settled: it must not be sent again until it is. */
export const isUnknownOutcome = (letter: DeadLetter) =>
  letter.status === OUTCOME_UNKNOWN_STATUS && letter.reconciled === undefined

export type Question = { ok: true; key: string; question: ActivityQuestion } | { ok: false; why: string }

const positiveId = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int().positive()
)

/**
 * When the letter's message may have been sent: not before its event reached the runtime (`receivedAt`, else its
 * `timestamp`), not after it was dead-lettered (a crash is found at the next start, which is later still), with the
 * margin either side.
 */
export function sendWindow(letter: DeadLetter, marginMs: number): { from: number; until: number } | undefined {
  const { receivedAt, timestamp } = letter.event as { receivedAt?: unknown; timestamp?: unknown }
  const received = [receivedAt, timestamp].map((at) => (typeof at === 'string' ? Date.parse(at) : NaN))
  const from = received.find((at) => Number.isFinite(at))
  const until = Date.parse(letter.at)
  if (from === undefined || !Number.isFinite(until)) return undefined
  return { from: Math.min(from, until) - marginMs, until: until + marginMs }
}

/**
 * What to ask Listrak's activity for a letter: its list, message and recipient, as its subscription's mapping gives
 * them for its event, and its send window. `key` is the same for letters of one message to one recipient.
 */
export function questionOf(
  letter: DeadLetter,
  subscriptions: readonly SubscriptionConfig[],
  marginMs: number
): Question {
  const subscription = subscriptions.find((s) => s.name === letter.subscription)
  if (!subscription) {
    return {
      ok: false,
      why: `its subscription "${letter.subscription}" is not in the config, so its message and recipient are not known`
    }
  }
  if (subscription.partnerAction !== 'sendTransactionalMessage') {
    return { ok: false, why: `its subscription "${letter.subscription}" does not send transactional messages` }
  }
  let payload: Record<string, unknown>
  try {
    const mapping = withFieldDefaults(actionOf(subscription.partnerAction).fields, subscription.mapping)
    payload = transform(mapping as never, letter.event as never) as Record<string, unknown>
  } catch (error) {
    return { ok: false, why: `its subscription's mapping cannot be applied to its event: ${(error as Error).message}` }
  }
  const listId = positiveId.safeParse(letter.listId ?? payload.listId)
  const messageId = positiveId.safeParse(payload.transactionalMessageId)
  const email = normalizeEmail(payload.emailAddress)
  const problems = [
    listId.success ? '' : `no List ID (${JSON.stringify(payload.listId) ?? 'none'})`,
    messageId.success
      ? ''
      : `no Transactional Message ID (${JSON.stringify(payload.transactionalMessageId) ?? 'none'})`,
    email.ok ? '' : 'no valid Email Address'
  ].filter(Boolean)
  if (!listId.success || !messageId.success || !email.ok) {
    return { ok: false, why: `its mapping gives ${problems.join(', ')} for its event` }
  }
  const window = sendWindow(letter, marginMs)
  if (!window) return { ok: false, why: 'it has no time its event was received (receivedAt) or dead-lettered (at)' }
  const question = {
    listId: listId.data,
    transactionalMessageId: messageId.data,
    emailAddress: email.email,
    ...window
  }
  return {
    ok: true,
    key: `${question.listId}/${question.transactionalMessageId}/${email.email.toLowerCase()}`,
    question
  }
}

/** One question for the letters of one message to one recipient: over all their windows. */
export function mergeQuestions(questions: ActivityQuestion[]): ActivityQuestion {
  return {
    ...questions[0],
    from: Math.min(...questions.map((q) => q.from)),
    until: Math.max(...questions.map((q) => q.until))
  }
}

export type Decision =
  { outcome: 'sent'; sendDate?: string } | { outcome: 'not-sent' } | { outcome: 'unsettled'; why: string }

/**
 * Settles the letters of one message to one recipient (their send windows `until`, each the window's end) from the
 * sends Listrak's activity shows in their windows, in the letters' order:
 * - as many sends as letters, or more: each was sent (paired with the sends in time order), and never goes again;
 * - none: each whose window ended `activityDelayMs` ago was not sent, and may be retried; the others are too recent
 *   to tell, since Listrak's activity may not show their send yet;
 * - fewer sends than letters: some went and some did not, and nothing says which: none is settled.
 */
export function decide(windowEnds: number[], sends: MessageSendFound[], now: number, delayMs: number): Decision[] {
  if (sends.length >= windowEnds.length) {
    const byTime = [...sends].sort((a, b) => (a.sendDate ?? '').localeCompare(b.sendDate ?? ''))
    const order = windowEnds.map((until, i) => ({ until, i })).sort((a, b) => a.until - b.until)
    const decisions: Decision[] = new Array(windowEnds.length)
    order.forEach(({ i }, rank) => {
      const { sendDate } = byTime[rank]
      decisions[i] = sendDate ? { outcome: 'sent', sendDate } : { outcome: 'sent' }
    })
    return decisions
  }
  if (sends.length > 0) {
    const why =
      `${windowEnds.length} messages of unknown outcome to this recipient, and Listrak's activity shows ` +
      `${sends.length} send(s) of it while they were on their way: it cannot tell which went. Export them ` +
      '(dead-letters export), then purge those that went and retry the others with --force.'
    return windowEnds.map(() => ({ outcome: 'unsettled', why }))
  }
  return windowEnds.map((until): Decision => {
    const settledAt = until + delayMs
    if (now >= settledAt) return { outcome: 'not-sent' }
    return {
      outcome: 'unsettled',
      why:
        `too recent: Listrak's activity shows no send yet, but may not show one until reconcile.activityDelayMs ` +
        `(${delayMs} ms) has passed: run reconcile again after ${new Date(settledAt).toISOString()}`
    }
  })
}

export const SENT_REASON =
  "Reconciled: sent. Listrak's activity shows the message sent to its recipient (reconciled.sendDate in " +
  'dead-letters export): settled as delivered, it is never sent again.'
export const NOT_SENT_REASON =
  "Reconciled: not sent. Listrak's activity shows no send to its recipient while it was on its way, after " +
  'reconcile.activityDelayMs: dead-letters retry sends it.'

/** The letter as a decision settles it; unchanged when it is not settled. */
export function settledLetter(letter: DeadLetter, decision: Decision, checkedAt: string): DeadLetter {
  if (decision.outcome === 'unsettled') return letter
  const reconciled: Reconciliation =
    decision.outcome === 'sent'
      ? {
          outcome: 'sent',
          checkedAt,
          was: letter.reason,
          ...(decision.sendDate ? { sendDate: decision.sendDate } : {})
        }
      : { outcome: 'not-sent', checkedAt, was: letter.reason }
  return { ...letter, reason: decision.outcome === 'sent' ? SENT_REASON : NOT_SENT_REASON, reconciled }
}

/** Why `dead-letters retry` keeps letters, and what to do about them. */
export interface RetryRefusal {
  what: string
  remedy: string
}

export const SETTLED_AS_SENT: RetryRefusal = {
  what: "settled as sent (Listrak's activity shows the message went), never sent again",
  remedy: 'purge them when done'
}
export const NOT_RECONCILED: RetryRefusal = {
  what: 'of unknown outcome (the message may have been sent)',
  remedy:
    "run dead-letters reconcile first, which asks Listrak's activity, or retry with --force to send them " +
    'anyway, which may email someone twice'
}

/**
 * Why `dead-letters retry` keeps a letter: one settled as sent never goes again; one of unknown outcome goes only
 * once reconciled as not sent, or when forced. Undefined: it may go.
 */
export function retryRefusal(letter: DeadLetter, force: boolean): RetryRefusal | undefined {
  if (letter.reconciled?.outcome === 'sent') return SETTLED_AS_SENT
  if (isUnknownOutcome(letter) && !force) return NOT_RECONCILED
  return undefined
}
