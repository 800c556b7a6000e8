import type { SegmentEvent } from '@segment/actions-core'
import { parseConfig } from '../../runtime/config'
import type { DeadLetter } from '../../runtime/queue'
import {
  decide,
  isUnknownOutcome,
  mergeQuestions,
  NOT_RECONCILED,
  NOT_SENT_REASON,
  questionOf,
  retryRefusal,
  SENT_REASON,
  sendWindow,
  settledLetter,
  SETTLED_AS_SENT
} from '../../runtime/commands/reconcile/unknown-outcomes'
import { configFile } from '../runtime/harness'

const SUBSCRIPTION = 'Order Completed → Order Confirmation'
const { subscriptions } = parseConfig(configFile('config.transactional.json'), 'example', {})
const MINUTE = 60_000
const RECEIVED = Date.parse('2026-12-04T15:00:00.000Z')

const letter = (changes: Partial<DeadLetter> = {}, event: Record<string, unknown> = {}): DeadLetter => ({
  id: 7,
  subscription: SUBSCRIPTION,
  status: 424,
  reason: 'The runtime stopped while this event was being sent … may or may not have been sent.',
  attempts: 1,
  listId: 12345,
  at: '2026-12-04T15:10:00.000Z',
  messageId: 'order-1',
  event: {
    type: 'track',
    event: 'Order Completed',
    receivedAt: new Date(RECEIVED).toISOString(),
    properties: { store: 'Downtown', points_earned: 10 },
    context: { traits: { email: ' Jane@Example.com ' } },
    ...event
  } as SegmentEvent,
  ...changes
})

it('waits an hour for a send to show in the activity, with 5 minutes either side for the clocks, and makes no pass of its own, unless set', () => {
  expect(parseConfig(configFile('config.transactional.json'), 'example', {}).reconcile).toEqual({
    activityDelayMs: 3_600_000,
    windowMarginMs: 300_000,
    everyMs: 0
  })
})

describe('the send window of a letter of unknown outcome', () => {
  it('runs from when its event was received to when it was dead-lettered, with the margin either side', () => {
    expect(sendWindow(letter(), 5 * MINUTE)).toEqual({
      from: RECEIVED - 5 * MINUTE,
      until: Date.parse('2026-12-04T15:10:00.000Z') + 5 * MINUTE
    })
  })

  it("takes the event's timestamp when it has no receivedAt, and has none without either", () => {
    const timestamp = '2026-12-04T14:00:00.000Z'
    expect(sendWindow(letter({}, { receivedAt: undefined, timestamp }), 0)?.from).toBe(Date.parse(timestamp))
    expect(sendWindow(letter({}, { receivedAt: undefined }), 0)).toBeUndefined()
  })
})

describe('the question asked of Listrak for a letter', () => {
  it("reads list, message and recipient (trimmed) through the subscription's mapping and its field defaults", () => {
    expect(questionOf(letter(), subscriptions, 0)).toEqual({
      ok: true,
      key: '12345/9001/jane@example.com',
      question: {
        listId: 12345,
        transactionalMessageId: 9001,
        emailAddress: 'Jane@Example.com',
        from: RECEIVED,
        until: Date.parse('2026-12-04T15:10:00.000Z')
      }
    })
  })

  it.each([
    [
      'a subscription no longer in the config',
      letter({ subscription: 'gone' }),
      'its subscription "gone" is not in the config, so its message and recipient are not known'
    ],
    [
      'an event without a valid recipient',
      letter({}, { context: { traits: { email: 'nobody' } } }),
      'its mapping gives no valid Email Address for its event'
    ],
    [
      'a letter without a time',
      letter({ at: 'later' }),
      'it has no time its event was received (receivedAt) or dead-lettered (at)'
    ]
  ])('cannot be asked for %s, and says why', (_, input, why) => {
    expect(questionOf(input, subscriptions, 0)).toEqual({ ok: false, why })
  })

  it('is asked once for the letters of one message to one recipient, over all their windows', () => {
    const base = { listId: 1, transactionalMessageId: 2, emailAddress: 'a@b.co' }
    expect(
      mergeQuestions([
        { ...base, from: 100, until: 200 },
        { ...base, from: 50, until: 150 }
      ])
    ).toEqual({ ...base, from: 50, until: 200 })
  })
})

describe('settling from the sends found', () => {
  const NOW = Date.parse('2026-12-04T17:00:00.000Z')
  const HOUR = 60 * MINUTE

  it('a send found: sent, with its send date, however recent', () => {
    expect(decide([NOW - MINUTE], [{ sendDate: '2026-12-04T16:59:00Z' }], NOW, HOUR)).toEqual([
      { outcome: 'sent', sendDate: '2026-12-04T16:59:00Z' }
    ])
  })

  it('as many sends as letters: each sent, paired in time order', () => {
    const sends = [{ sendDate: '2026-12-04T16:30:00Z' }, { sendDate: '2026-12-04T15:30:00Z' }]
    expect(decide([NOW - HOUR, NOW - 2 * HOUR], sends, NOW, HOUR)).toEqual([
      { outcome: 'sent', sendDate: '2026-12-04T16:30:00Z' },
      { outcome: 'sent', sendDate: '2026-12-04T15:30:00Z' }
    ])
  })

  it('no send once the delay has passed: not sent; before it: too recent, with the time to run again', () => {
    const [old, recent] = decide([NOW - HOUR, NOW - HOUR + 1], [], NOW, HOUR)
    expect(old).toEqual({ outcome: 'not-sent' })
    expect(recent).toEqual({
      outcome: 'unsettled',
      why:
        "too recent: Listrak's activity shows no send yet, but may not show one until reconcile.activityDelayMs " +
        '(3600000 ms) has passed: run reconcile again after 2026-12-04T17:00:00.001Z'
    })
  })

  it('fewer sends than letters: none settled, since nothing says which went', () => {
    const decisions = decide([NOW - 2 * HOUR, NOW - 2 * HOUR], [{ sendDate: '2026-12-04T14:00:00Z' }], NOW, HOUR)
    expect(decisions.map((d) => d.outcome)).toEqual(['unsettled', 'unsettled'])
    expect(decisions[0]).toMatchObject({ why: expect.stringContaining('2 messages of unknown outcome') })
  })

  it('stores the outcome on the letter, with the reason it had, and retry then treats it by its outcome', () => {
    const unknown = letter()
    const sent = settledLetter(unknown, { outcome: 'sent', sendDate: '2026-12-04T15:05:00Z' }, 'now')
    expect(sent).toMatchObject({
      reason: SENT_REASON,
      reconciled: { outcome: 'sent', sendDate: '2026-12-04T15:05:00Z', checkedAt: 'now', was: unknown.reason }
    })
    const notSent = settledLetter(unknown, { outcome: 'not-sent' }, 'now')
    expect(notSent).toMatchObject({ reason: NOT_SENT_REASON, reconciled: { outcome: 'not-sent' } })
    expect([unknown, sent, notSent].map(isUnknownOutcome)).toEqual([true, false, false])
    expect(retryRefusal(unknown, false)).toBe(NOT_RECONCILED)
    expect(retryRefusal(unknown, true)).toBeUndefined()
    expect(retryRefusal(sent, true)).toBe(SETTLED_AS_SENT)
    expect(retryRefusal(notSent, false)).toBeUndefined()
    expect(retryRefusal(letter({ status: 503 }), false)).toBeUndefined()
  })
})
