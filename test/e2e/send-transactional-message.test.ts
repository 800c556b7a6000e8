import type { FaultsUpdate } from '../../sandbox'
import { listFieldCache } from '../../src/profile-fields/definitions'
import { useSandbox } from '../sandbox/client'
import { listrakApi } from '../sandbox/listrak-api'
import { isRetryable, Result, runBatch, runEvent, track } from './actions'

/** Send Transactional Message through actions-core's real Destination, against the sandbox over loopback. */

const { current, start } = useSandbox({ asListrak: true })

beforeEach(() => listFieldCache.clear())

async function setup() {
  await start()
  const token = await current.api.token()
  return { token, api: listrakApi(current.sandbox, token) }
}

const MAPPING = {
  listId: 12345,
  transactionalMessageId: 9001,
  profileFieldValues: { '7001': { '@path': '$.properties.order_id' } }
}

/** Each event names its message and its merge values. */
const PER_EVENT = {
  listId: 12345,
  transactionalMessageId: { '@path': '$.properties.message' },
  profileFieldValues: { '@path': '$.properties.merge' }
}

interface Sends {
  total: number
  perRecipient: Record<string, number>
  data: { sequence: number; transactionalMessageId: number; emailAddress: string; segmentationFieldValues: unknown }[]
}

/** The sandbox's record of the requests to the message route that ended as `status`. */
const messageRequests = (status: 'dropped' | 'dropped-after-processing') =>
  current.sandbox.state.requests.all.filter(
    (r) => r.status === status && r.method === 'POST' && /\/TransactionalMessage\/\d+\/Message$/.test(r.path)
  ).length

const sends = async (query = '') =>
  (await current.api.call('GET', `/_sandbox/messages${query}`)).json as unknown as Sends

describe('Send Transactional Message, one event (perform)', () => {
  it('sends the message to the recipient with its merge values as text', async () => {
    const { token } = await setup()
    const result = await runEvent(
      'sendTransactionalMessage',
      track('jane@example.com', { order_id: 1001 }),
      MAPPING,
      token
    )
    expect(result).toEqual({ ok: true, data: { listId: 12345, status: 201, resourceId: '1' } })
    expect(await sends()).toMatchObject({
      total: 1,
      perRecipient: { 'jane@example.com': 1 },
      data: [
        {
          sequence: 1,
          listId: 12345,
          transactionalMessageId: 9001,
          emailAddress: 'jane@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 7001, value: '1001' }]
        }
      ]
    })
  })

  it('throws an IntegrationError for a message the list does not have; nothing is sent', async () => {
    const { token } = await setup()
    const result = await runEvent(
      'sendTransactionalMessage',
      track('jane@example.com', { order_id: 1001 }),
      { ...MAPPING, transactionalMessageId: 9999 },
      token
    )
    expect(result).toMatchObject({
      ok: false,
      error: {
        name: 'IntegrationError',
        status: 404,
        message: expect.stringContaining('Check the List ID and the Transactional Message ID')
      }
    })
    expect((await sends()).total).toBe(0)
  })
})

describe('Send Transactional Message, batches (performBatch)', () => {
  it('sends one message per event, two for an address that comes twice', async () => {
    const { token } = await setup()
    const emails = ['ann@example.com', 'bob@example.com', 'ann@example.com', 'cy@example.com']
    const results = await runBatch(
      'sendTransactionalMessage',
      emails.map((email, i) => track(email, { order_id: `A-${i}` })),
      MAPPING,
      token
    )
    expect(results.map((r) => [r.status, r.sent])).toEqual(
      emails.map((email, i) => [
        201,
        {
          listId: 12345,
          transactionalMessageId: 9001,
          emailAddress: email,
          segmentationFieldValues: [{ segmentationFieldId: 7001, value: `A-${i}` }]
        }
      ])
    )
    expect(new Set(results.map((r) => r.body?.resourceId)).size).toBe(4)
    expect(await sends()).toMatchObject({
      total: 4,
      perRecipient: { 'ann@example.com': 2, 'bob@example.com': 1, 'cy@example.com': 1 }
    })
  })

  it('answers a batch of bad and good events per event; only the good ones are sent', async () => {
    const { token } = await setup()
    const results = await runBatch(
      'sendTransactionalMessage',
      [
        track('ann@example.com', { message: 9001, merge: { '7001': 'A-1' } }),
        track('not-an-email', { message: 9001 }),
        track('unknown-field@example.com', { message: 9001, merge: { '8801': 'on' } }),
        track('bad-value@example.com', { message: 9001, merge: { '7003': 'lots' } }),
        track('audience@example.com', { message: 9001, merge: { '6789': 'useAudienceKey' } }),
        track('unknown-message@example.com', { message: 9999 }),
        track('bob@example.com', { message: 9002, merge: { '7003': 12.5, '7004': '2026-11-28' } })
      ],
      PER_EVENT,
      token
    )
    expect(results.map((r) => r.status)).toEqual([201, 400, 400, 400, 400, 404, 201])
    expect(results[1].errormessage).toBe('Email Address "not-an-email" is not a valid email address.')
    expect(results[2].errormessage).toBe('Merge Values: list 12345 has no profile field 8801.')
    expect(results[3].errormessage).toContain('field 7003')
    expect(results[4].errormessage).toContain('Send Transactional Message reads no audience')
    expect(results[5]).toMatchObject({
      errormessage: expect.stringContaining('ERROR_UNABLE_TO_LOCATE_RESOURCE'),
      sent: { transactionalMessageId: 9999, emailAddress: 'unknown-message@example.com' }
    })
    const sent = await sends()
    expect(sent.perRecipient).toEqual({ 'ann@example.com': 1, 'bob@example.com': 1 })
    expect(sent.data.find((s) => s.emailAddress === 'bob@example.com')).toMatchObject({
      transactionalMessageId: 9002,
      segmentationFieldValues: [
        { segmentationFieldId: 7003, value: '12.5' },
        { segmentationFieldId: 7004, value: '2026-11-28' }
      ]
    })
  })
})

describe('Send Transactional Message, a 408 from Listrak', () => {
  // No merge values: the list's fields are not read, so the one failure injected falls on the send.
  const NO_MERGE = { listId: 12345, transactionalMessageId: 9001 }
  const answer408ToNextRequest = () =>
    current.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ failNext: { count: 1, status: 408 } }) })
  const messagePosts = () =>
    current.sandbox.state.requests.all
      .filter((r) => r.method === 'POST' && /\/TransactionalMessage\/\d+\/Message$/.test(r.path))
      .map((r) => r.status)

  it('is an unknown outcome in a batch: 424 OUTCOME_UNKNOWN, final, after one request', async () => {
    const { token } = await setup()
    await answer408ToNextRequest()
    const [result] = await runBatch('sendTransactionalMessage', [track('jane@example.com')], NO_MERGE, token)
    expect(result).toMatchObject({
      status: 424,
      errortype: 'OUTCOME_UNKNOWN',
      sent: { listId: 12345, transactionalMessageId: 9001, emailAddress: 'jane@example.com' }
    })
    expect(result.errormessage).toContain('HTTP 408')
    expect(result.errormessage).toContain('may or may not have been sent')
    expect(isRetryable(result.status)).toBe(false)
    expect(messagePosts()).toEqual([408])
  })

  it('is an unknown outcome for one event: perform throws an IntegrationError with OUTCOME_UNKNOWN, 424', async () => {
    const { token } = await setup()
    await answer408ToNextRequest()
    const result = await runEvent('sendTransactionalMessage', track('jane@example.com'), NO_MERGE, token)
    expect(result).toMatchObject({
      ok: false,
      error: { name: 'IntegrationError', code: 'OUTCOME_UNKNOWN', status: 424 }
    })
    expect(messagePosts()).toEqual([408])
  })
})

/** An event's result as Segment reads it, whether it came from a batch or from a single event's perform. */
interface Outcome {
  status: number
  errortype?: string
  errormessage?: string
}

const fromBatch = (r: Result): Outcome => ({ status: r.status, errortype: r.errortype, errormessage: r.errormessage })

async function sendSingles(emails: string[], token: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  for (const email of emails) {
    const single = await runEvent('sendTransactionalMessage', track(email, { order_id: 'A-1' }), MAPPING, token)
    if (single.ok) outcomes.push({ status: Number(single.data.status) })
    else {
      const { status, code, name, message } = single.error
      expect(['RetryableError', 'IntegrationError']).toContain(name)
      outcomes.push({ status: status ?? 0, errortype: code ?? name, errormessage: message })
    }
  }
  return outcomes
}

const tally = (outcomes: Outcome[]) => {
  const counts: Record<string, number> = {}
  for (const { status, errortype } of outcomes) {
    const key = errortype === 'OUTCOME_UNKNOWN' ? '424 OUTCOME_UNKNOWN' : String(status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return Object.entries(counts)
    .sort()
    .map(([key, n]) => `${key} ×${n}`)
    .join(', ')
}

/**
 * Sends one message to each of `count` recipients under `faults`, then does what Segment does with the results: runs
 * the events whose results are retryable again, and only those, until none is. After every round, each recipient's
 * new messages in the sandbox are checked against the result it got: 201 one, a retryable 503 or 429 none (the fault
 * came before processing), an unknown outcome at most one. Returns what was measured.
 */
async function deliverUnderFaults(mode: 'batch' | 'single', faults: FaultsUpdate, count: number) {
  const { token } = await setup()
  const emails = Array.from({ length: count }, (_, i) => `r${i}@example.com`)
  await current.api.call('POST', '/_sandbox/faults', { body: JSON.stringify(faults) })

  const final: Outcome[] = []
  let firstRound: Outcome[] = []
  let pending = emails.map((_, i) => i)
  let rounds = 0
  while (pending.length > 0) {
    rounds++
    expect(rounds).toBeLessThanOrEqual(20)
    const before = (await sends()).perRecipient
    const batch = pending.map((i) => emails[i])
    const outcomes =
      mode === 'batch'
        ? (
            await runBatch(
              'sendTransactionalMessage',
              batch.map((email) => track(email, { order_id: 'A-1' })),
              MAPPING,
              token
            )
          ).map(fromBatch)
        : await sendSingles(batch, token)
    if (rounds === 1) firstRound = outcomes
    const after = (await sends()).perRecipient
    outcomes.forEach((outcome, k) => {
      const email = batch[k]
      const added = (after[email] ?? 0) - (before[email] ?? 0)
      final[pending[k]] = outcome
      if (outcome.status === 201) expect([email, added]).toEqual([email, 1])
      else if (outcome.errortype === 'OUTCOME_UNKNOWN') {
        expect(outcome.status).toBe(424)
        expect(outcome.errormessage).toContain('may or may not have been sent')
        expect(outcome.errormessage).toContain("Check the transactional message's activity in Listrak")
        expect(added).toBeLessThanOrEqual(1)
      } else {
        expect([email, outcome.status, added]).toEqual([email, faults.failureStatus ?? 503, 0])
        expect(isRetryable(outcome.status)).toBe(true)
        expect(outcome.errormessage).toContain('will be retried')
      }
    })
    pending = pending.filter((_, k) => isRetryable(outcomes[k].status))
  }

  const perRecipient = (await sends()).perRecipient
  emails.forEach((email, i) => {
    const got = perRecipient[email] ?? 0
    // Two messages for one recipient are only ever acceptable where the result said the outcome was unknown.
    if (got >= 2) expect(final[i].errortype).toBe('OUTCOME_UNKNOWN')
    if (final[i].status === 201) expect([email, got]).toEqual([email, 1])
    else expect([email, final[i].errortype, got <= 1]).toEqual([email, 'OUTCOME_UNKNOWN', true])
  })
  const recipientsWith = (n: number) => emails.filter((email) => (perRecipient[email] ?? 0) === n).length
  const measured = {
    firstRound,
    final,
    rounds,
    messages: (await sends()).total,
    recipientsWith: {
      none: recipientsWith(0),
      one: recipientsWith(1),
      more: emails.length - recipientsWith(0) - recipientsWith(1)
    }
  }
  process.stderr.write(
    `Send Transactional Message, ${mode === 'batch' ? 'batches' : 'single events'}, faults ${JSON.stringify(faults)}: ` +
      `${count} recipients; first round ${tally(firstRound)}; rounds ${rounds}; final ${tally(final)}; ` +
      `${measured.messages} messages; recipients with 0 / 1 / 2+ messages: ${measured.recipientsWith.none} / ` +
      `${measured.recipientsWith.one} / ${measured.recipientsWith.more}\n`
  )
  return measured
}

const unknownOutcomes = (outcomes: Outcome[]) => outcomes.filter((o) => o.errortype === 'OUTCOME_UNKNOWN').length
const withStatus = (outcomes: Outcome[], status: number) => outcomes.filter((o) => o.status === status).length

describe('Send Transactional Message under faults: never a silent second send', () => {
  it('dropAfterRate: a message processed and then unanswered is an unknown outcome, sent once, not retried', async () => {
    const measured = await deliverUnderFaults('batch', { seed: 11, dropAfterRate: 0.2, latencyMs: [1, 10] }, 60)
    const unknown = unknownOutcomes(measured.firstRound)
    expect(unknown).toBeGreaterThan(0)
    expect(measured.rounds).toBe(1)
    // Every unknown outcome is a message the sandbox did send, exactly once: what the result warns about.
    expect(measured.messages).toBe(60)
    expect(measured.recipientsWith).toEqual({ none: 0, one: 60, more: 0 })
    expect(messageRequests('dropped-after-processing')).toBe(unknown)
  })

  it('failureRate with 503: retryable, and the retry sends no duplicate', async () => {
    const faults = {
      seed: 12,
      failureRate: 0.3,
      failureStatus: 503 as const,
      dropAfterRate: 0.1,
      latencyMs: [1, 10] as [number, number]
    }
    const measured = await deliverUnderFaults('batch', faults, 60)
    expect(withStatus(measured.firstRound, 503)).toBeGreaterThan(0)
    expect(unknownOutcomes(measured.firstRound)).toBeGreaterThan(0)
    expect(measured.rounds).toBeGreaterThan(1)
    expect(measured.recipientsWith.more).toBe(0)
    expect(withStatus(measured.final, 201) + unknownOutcomes(measured.final)).toBe(60)
  })

  it('429: retryable, and the retry sends no duplicate', async () => {
    const faults = {
      seed: 13,
      failureRate: 0.3,
      failureStatus: 429 as const,
      dropAfterRate: 0.1,
      latencyMs: [1, 10] as [number, number]
    }
    const measured = await deliverUnderFaults('batch', faults, 60)
    expect(withStatus(measured.firstRound, 429)).toBeGreaterThan(0)
    expect(measured.rounds).toBeGreaterThan(1)
    expect(measured.recipientsWith.more).toBe(0)
    expect(withStatus(measured.final, 201) + unknownOutcomes(measured.final)).toBe(60)
  })

  it('single events: perform throws RetryableError for 503 and 429, OUTCOME_UNKNOWN after a drop; one message each', async () => {
    for (const [seed, failureStatus] of [
      [14, 503],
      [15, 429]
    ] as const) {
      const measured = await deliverUnderFaults(
        'single',
        { seed, failureRate: 0.3, failureStatus, dropAfterRate: 0.15 },
        30
      )
      expect(withStatus(measured.firstRound, failureStatus)).toBeGreaterThan(0)
      expect(unknownOutcomes(measured.firstRound)).toBeGreaterThan(0)
      expect(measured.recipientsWith.more).toBe(0)
      await current.sandbox.stop()
    }
  })

  it('connections dropped before processing too: an unknown outcome gets at most one message', async () => {
    const faults = { seed: 16, dropRate: 0.1, dropAfterRate: 0.1, failureRate: 0.2, failureStatus: 503 as const }
    const measured = await deliverUnderFaults('batch', faults, 60)
    expect(unknownOutcomes(measured.final)).toBeGreaterThan(0)
    expect(measured.recipientsWith.more).toBe(0)
    // Some unknown outcomes were never processed: their recipients got nothing, and were not sent it again.
    expect(measured.recipientsWith.none).toBeGreaterThan(0)
    expect(measured.recipientsWith.none).toBe(messageRequests('dropped'))
  })
})
