import type { SegmentEvent } from '@segment/actions-core'
import { followUpsOf } from '../../runtime/imports/record'
import {
  completedEnd,
  importState,
  isRefused,
  refusedReason,
  refusedRows,
  unknownEnd
} from '../../runtime/imports/results'
import { deadlineOf, firstPollAt, nextPollAt, pollDelay } from '../../runtime/imports/schedule'
import type { Outcome } from '../../runtime/pipeline/delivery'
import { FollowUp, FollowUpRow, MAX_KEPT_REFUSALS } from '../../runtime/queue/follow-ups'

/** The pure rules of the list imports' follow-up: what to record, when to poll, and what Listrak's words mean. */

const timing = { firstPollMs: 1000, maxPollMs: 60_000, followUpMaxMs: 3_600_000 }
const START = Date.parse('2026-12-04T15:00:00.000Z')

const event = (email: string, n = 1) =>
  ({ type: 'identify', messageId: `${email}-${n}`, traits: { email } }) as unknown as SegmentEvent
const row = (email: string, n = 1): FollowUpRow => ({ emailAddress: email, event: event(email, n), attempts: 1 })
const followUp: FollowUp = {
  subscription: 'signups',
  listId: 12345,
  importFileId: '4',
  importType: 'AddSubscribersAndSegmentationData',
  startedAt: new Date(START).toISOString(),
  rows: 3,
  polls: 2
}

describe('when the follower polls', () => {
  it('waits about a second first, then doubles each wait up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((polled) => pollDelay(polled, timing))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000
    ])
  })

  it('never schedules a poll past the bound: the last poll comes at it', () => {
    const deadline = deadlineOf(START, timing)
    expect(deadline).toBe(START + 3_600_000)
    expect(nextPollAt(START + 10_000, 2, START, timing)).toBe(START + 14_000)
    expect(nextPollAt(deadline - 5000, 10, START, timing)).toBe(deadline)
    // Polled at the bound or after it: no later poll is made up.
    expect(nextPollAt(deadline + 1, 10, START, timing)).toBe(deadline + 1)
  })

  it('polls an import a second after it was recorded, at once when taken up later (a restart)', () => {
    expect(firstPollAt(START + 200, START, timing)).toBe(START + 1000)
    expect(firstPollAt(START + 90_000, START, timing)).toBe(START + 90_000)
  })
})

describe("Listrak's words", () => {
  it.each([
    [{ status: 'Queued' }, 'pending'],
    [{ status: 'Processing', startDate: '2026-12-04T15:00:01Z' }, 'pending'],
    [{ status: 'Completed' }, 'completed'],
    [{ status: 'complete' }, 'completed'],
    [{ status: 'Finished' }, 'completed'],
    [{ status: 'CompletedWithErrors' }, 'completed'],
    [{ status: 'Queued', endDate: '2026-12-04T15:00:09Z' }, 'completed'],
    [{ endDate: '2026-12-04T15:00:09Z' }, 'completed'],
    [{ status: null, endDate: '  ' }, 'pending'],
    [{ status: 'Failed', endDate: '2026-12-04T15:00:09Z' }, 'failed'],
    [{ status: 'Cancelled' }, 'failed']
  ])('reads status %j as %s', (status, state) => {
    expect(importState(status)).toBe(state)
  })

  it.each([
    ['InvalidEmail', true],
    ['Invalid Email Address', true],
    ['Banned', true],
    ['Suppressed', true],
    ['SUPPRESSION', true],
    ['Subscribed', false],
    ['Updated', false],
    ['AlreadySubscribed', false],
    ['PreviouslyUnsubscribed', false],
    ['Unsubscribed', false],
    ['AlreadyUnsubscribed', false],
    ['Skipped', false]
  ])('takes the result %s as a refusal: %s', (word, refused) => {
    expect(isRefused(word)).toBe(refused)
  })
})

describe('matching results to rows', () => {
  it('matches addresses without case or spaces, and refuses every event of a refused address', () => {
    const rows = [row('Jane@Example.com', 1), row('john@example.com'), row('jane@example.com', 2), row('max@x.io')]
    const results = [
      { emailAddress: 'jane@example.COM ', importResult: 'InvalidEmail' },
      { emailAddress: 'john@example.com', importResult: 'Subscribed' },
      { emailAddress: 'max@x.io', importResult: null },
      { emailAddress: null, importResult: 'Banned' }
    ]
    expect(refusedRows(rows, results).map(({ row: r, importResult }) => [r.event.messageId, importResult])).toEqual([
      ['Jane@Example.com-1', 'InvalidEmail'],
      ['jane@example.com-2', 'InvalidEmail']
    ])
  })

  it('dead-letters each refused row with status 400, naming the import, the list, the address and the result', () => {
    const rows = [row('bad@@example.com'), row('ok@example.com')]
    const { letters, report } = completedEnd(
      followUp,
      rows,
      [
        { emailAddress: 'bad@@example.com', importResult: 'InvalidEmail' },
        { emailAddress: 'ok@example.com', importResult: 'Subscribed' }
      ],
      '2026-12-04T15:01:00.000Z'
    )
    expect(letters).toEqual([
      {
        subscription: 'signups',
        status: 400,
        reason: 'Listrak refused bad@@example.com in list import 4 on list 12345: InvalidEmail',
        attempts: 1,
        listId: 12345,
        event: rows[0].event
      }
    ])
    expect(report).toMatchObject({
      outcome: 'completed',
      rows: 2,
      deadLettered: 1,
      refused: 1,
      refusals: [{ emailAddress: 'bad@@example.com', importResult: 'InvalidEmail' }]
    })
    expect(refusedReason(followUp, 'jane@example.com', 'Banned')).toBe(
      'Listrak refused jane@example.com in list import 4 on list 12345: Banned'
    )
  })

  it('keeps at most 100 refusals in the report, and counts them all', () => {
    const rows = Array.from({ length: 150 }, (_, i) => row(`bad${i}@x`))
    const results = rows.map((r) => ({ emailAddress: r.emailAddress, importResult: 'Suppressed' }))
    const { letters, report } = completedEnd(followUp, rows, results, '2026-12-04T15:01:00.000Z')
    expect([letters.length, report.refused, report.refusals.length]).toEqual([150, 150, MAX_KEPT_REFUSALS])
  })

  it.each([
    [
      'timed-out',
      504,
      /^List import 4 on list 12345 did not complete within imports\.followUpMaxMs \(3600000 ms; Listrak's last status: Queued\)/
    ],
    ['not-found', 404, /^Listrak does not know list import 4 on list 12345 \(HTTP 404/],
    ['failed', 502, /^Listrak reports list import 4 on list 12345 as Failed/],
    ['stopped', 503, /^The runtime stopped before the results of list import 4 on list 12345 came/]
  ] as const)(
    'dead-letters every row of an import %s with status %i, its outcome unknown',
    (outcome, status, reason) => {
      const rows = [row('a@x.io'), row('b@x.io')]
      const last = outcome === 'failed' ? 'Failed' : 'Queued'
      const said = outcome === 'not-found' ? 'HTTP 404 with an empty body' : undefined
      const { letters, report } = unknownEnd({ ...followUp, status: last }, rows, outcome, '2026-12-04T16:00:00.000Z', {
        followUpMaxMs: 3_600_000,
        ...(said ? { said } : {})
      })
      expect(letters.map((l) => [l.event.messageId, l.status])).toEqual([
        ['a@x.io-1', status],
        ['b@x.io-1', status]
      ])
      expect(letters[0].reason).toMatch(reason)
      expect(letters[0].reason).toContain('whether Listrak took this address is unknown')
      expect(report).toMatchObject({ outcome, rows: 2, deadLettered: 2, refused: 0, refusals: [] })
    }
  )
})

describe('what a delivery records', () => {
  const item = (position: number, email: string) => ({ position, event: event(email), attempts: 0 })
  const sent = (listId: number, importFileId: string, email: string): Outcome => ({
    kind: 'delivered',
    status: 201,
    listId,
    resourceId: importFileId,
    listImport: { importFileId, emailAddress: email, importType: 'RemoveSubscribers' }
  })

  it('one follow-up per list and import, with each event and its row; events not sent in an import are left out', () => {
    const followUps = followUpsOf([
      { item: item(1, 'a@x.io'), outcome: sent(12345, '4', 'a@x.io'), attempts: 1 },
      { item: item(2, 'b@x.io'), outcome: sent(12345, '5', 'b@x.io'), attempts: 2 },
      {
        item: item(3, 'c@x.io'),
        outcome: { kind: 'delivered', status: 201, listId: 12345, resourceId: 'c' },
        attempts: 1
      },
      { item: item(4, 'd@x.io'), outcome: sent(12345, '4', 'D@x.io'), attempts: 1 },
      { item: item(5, 'e@x.io'), outcome: sent(777, '4', 'e@x.io'), attempts: 1 }
    ])
    expect(
      followUps.map(({ listId, importFileId, importType, rows }) => [
        listId,
        importFileId,
        importType,
        rows.map((r) => [r.position, r.emailAddress, r.attempts])
      ])
    ).toEqual([
      [
        12345,
        '4',
        'RemoveSubscribers',
        [
          [1, 'a@x.io', 1],
          [4, 'D@x.io', 1]
        ]
      ],
      [12345, '5', 'RemoveSubscribers', [[2, 'b@x.io', 2]]],
      [777, '4', 'RemoveSubscribers', [[5, 'e@x.io', 1]]]
    ])
  })
})
