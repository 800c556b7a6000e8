import type { FaultsUpdate, FixtureInput } from '../../sandbox'
import { startSandbox, Sandbox } from '../../sandbox'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/**
 * Send Transactional Message through the runtime against a sandbox that drops answers after processing, fails
 * with 503 and 429, drops connections before processing and refuses used-up tokens. Listrak has no idempotency key,
 * so a message whose outcome is unknown must not be sent again: counted per recipient in the sandbox, nobody gets a
 * message twice, every event is delivered or dead-lettered exactly once, and what the sandbox refused before
 * processing (503, 429) is retried.
 */

const EVENTS = 200
const secret = 'transactional-faults-secret-51c2'

const order = (i: number) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${i}`,
  messageId: `order-${i}`,
  properties: { order_id: `F-${i}`, store: 'Downtown', points_earned: i },
  context: { traits: { email: `buyer${i}@example.com` } }
})

interface Letter {
  status: number
  reason: string
  attempts: number
  event: { context?: { traits?: { email?: string } } }
}

/** One list with the message and the fields its merge values go to. */
const FIXTURE: FixtureInput = {
  credentials: [{ clientId: 'faults-client', clientSecret: secret }],
  lists: [
    {
      listId: 12345,
      listName: 'Newsletter',
      segmentationFieldGroups: [
        {
          segmentationFieldGroupId: 502,
          segmentationFieldGroupName: 'Preferences',
          segmentationFields: [
            { segmentationFieldId: 7001, segmentationFieldName: 'favorite_store', dataType: 'Text', maxLength: 50 },
            { segmentationFieldId: 7003, segmentationFieldName: 'loyalty_points', dataType: 'Numeric' }
          ]
        }
      ],
      transactionalMessages: [
        { transactionalMessageId: 9001, transactionalMessageName: 'Order Confirmation', subject: 'Your order' }
      ]
    }
  ]
}

const runtimeFor = (sandbox: Sandbox, delivery: Record<string, number>) =>
  startTestRuntime({
    ...configFile('config.transactional.json'),
    settings: { client_id: 'faults-client', client_secret: secret },
    listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
    delivery: { batchSize: 25, flushIntervalMs: 10, retryBaseMs: 5, retryMaxMs: 40, concurrency: 4, ...delivery }
  })

async function run(faults: FaultsUpdate) {
  const sandbox: Sandbox = await startSandbox({ fixture: FIXTURE, faults })
  const h = await runtimeFor(sandbox, { maxAttempts: 6 })
  try {
    for (let i = 0; i < EVENTS; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => order(i + j))
      expect((await h.post('/v1/batch', { batch })).status).toBe(200)
    }
    const stats = (await h.settled(EVENTS, 30_000)) as unknown as Record<string, number> & {
      reasons: Record<string, { count: number }>
    }
    const token = await h.runtime.tokens.get()
    await h.runtime.stop()
    const sent = sandbox.state.messagesSent({})
    const letters = h.deadLetters() as unknown as Letter[]
    const logs = h.logs.join('\n')
    return { stats, sent, letters, logs, token, sandboxStats: { ...sandbox.state.stats }, requests: sandbox.state }
  } finally {
    await h.runtime.stop()
    await sandbox.stop()
  }
}

const emailOf = (letter: Letter) => letter.event.context?.traits?.email as string
const UNKNOWN = /may or may not have been sent/

/** The invariants every run must hold, and the counts it measured. */
function account(name: string, result: Awaited<ReturnType<typeof run>>) {
  const { stats, sent, letters } = result
  expect(sent.dropped).toBe(0)
  const perRecipient = sent.perRecipient
  const lettered = new Map(letters.map((l) => [emailOf(l), l]))

  // Each event settled exactly once: delivered or dead-lettered, never both, never twice.
  expect(stats.accepted).toBe(EVENTS)
  expect(stats.delivered + stats.deadLettered).toBe(EVENTS)
  expect(letters).toHaveLength(stats.deadLettered)
  expect(lettered.size).toBe(letters.length)

  const unknown = letters.filter((l) => l.status === 424)
  const gaveUp = letters.filter((l) => l.status !== 424)
  for (const letter of unknown) expect(letter.reason).toMatch(UNKNOWN)
  for (const letter of gaveUp) expect(letter.reason).toMatch(/^gave up after 6 attempt\(s\): /)

  const counts = { none: 0, once: 0, twiceOrMore: 0 }
  for (let i = 0; i < EVENTS; i++) {
    const email = `buyer${i}@example.com`
    const got = perRecipient[email] ?? 0
    const letter = lettered.get(email)
    if (got === 0) counts.none++
    else if (got === 1) counts.once++
    else counts.twiceOrMore++
    // A second message is never silent: its recipient is in the dead letters as outcome unknown.
    if (got >= 2) expect(letter).toMatchObject({ status: 424, reason: expect.stringMatching(UNKNOWN) })
    // Delivered: exactly one message. Given up after 503/429: refused before processing, so none.
    if (!letter) expect([email, got]).toEqual([email, 1])
    else if (letter.status !== 424) expect([email, got]).toEqual([email, 0])
    else expect(got).toBeLessThanOrEqual(1)
  }
  // The runtime never sends an event again once its outcome is unknown: nobody got two.
  expect(counts.twiceOrMore).toBe(0)
  expect(counts.once).toBe(sent.total)
  // Nothing secret in the logs.
  expect(result.logs).not.toContain(secret)
  expect(result.logs).not.toContain(result.token)

  const measured =
    `${name}: ${EVENTS} events, delivered ${stats.delivered}, dead-lettered ${stats.deadLettered} ` +
    `(outcome unknown ${unknown.length}, gave up ${gaveUp.length}), retried ${stats.retried}; ` +
    `messages sent ${sent.total}; recipients with 0/1/2+ messages ${counts.none}/${counts.once}/${counts.twiceOrMore}; ` +
    `sandbox requests ${result.sandboxStats.requests}, tokens ${result.sandboxStats.tokensIssued}`
  process.stderr.write(`${measured}\n`)
  return { unknown: unknown.length, gaveUp: gaveUp.length, counts }
}

describe('Send Transactional Message through the runtime under faults', () => {
  it('answers lost after processing: dead-lettered as outcome unknown, never sent again', async () => {
    const result = await run({ seed: 7, dropAfterRate: 0.2, latencyMs: [0, 5] })
    const { unknown, counts } = account('dropAfterRate 0.2', result)
    // The drops happened, and each left a message sent with nobody told: one each, and a dead letter.
    expect(unknown).toBeGreaterThan(10)
    expect(counts.once).toBe(EVENTS)
    expect(result.stats.retried).toBe(0)
  }, 60_000)

  it.each([503, 429] as const)(
    '%s is retried without sending anything twice',
    async (status) => {
      const result = await run({ seed: 11, failureRate: 0.3, failureStatus: status, latencyMs: [0, 5] })
      const { unknown } = account(`failureRate 0.3, status ${status}`, result)
      expect(unknown).toBe(0)
      expect(result.stats.retried).toBeGreaterThan(20)
      expect(result.stats.delivered).toBeGreaterThanOrEqual(EVENTS - 2)
    },
    60_000
  )

  it('all at once, with tokens used up: still nobody gets a message twice', async () => {
    const result = await run({
      seed: 23,
      dropAfterRate: 0.1,
      dropRate: 0.05,
      failureRate: 0.2,
      failureStatus: 503,
      tokenMaxUses: 15,
      latencyMs: [0, 5]
    })
    const { unknown } = account('mixed (dropAfter 0.1, drop 0.05, 503 0.2, token 15 uses)', result)
    expect(unknown).toBeGreaterThan(0)
    expect(result.stats.retried).toBeGreaterThan(0)
    expect(result.sandboxStats.tokensIssued).toBeGreaterThan(1)
    // A token refused in a batch where a message went is reported as a retryable 500; the runtime renews it all
    // the same, so the retry does not fail on it again (without that, most events gave up).
    expect(result.stats.delivered).toBeGreaterThan(EVENTS / 2)
  }, 60_000)

  it('ECONNREFUSED: nothing was sent, so it is retried, and each recipient gets one message once Listrak is back', async () => {
    let sandbox = await startSandbox({ fixture: FIXTURE })
    const port = Number(new URL(sandbox.url).port)
    const h = await runtimeFor(sandbox, { maxAttempts: 20, retryBaseMs: 20, retryMaxMs: 200 })
    try {
      await h.post('/v1/track', order(0))
      await h.settled(1)
      // Listrak goes away: connections are refused.
      await sandbox.stop()
      await h.post('/v1/batch', { batch: Array.from({ length: 20 }, (_, i) => order(i + 1)) })
      await waitFor(
        'retries of refused connections',
        async () => (await (await fetch(`${h.runtime.url}/stats`)).json()) as { retried: number },
        (stats) => stats.retried >= 40
      )
      // Listrak is back, at the same address, with a fresh state: the old token is unknown there.
      sandbox = await startSandbox({ fixture: FIXTURE, port })
      const stats = await h.settled(21, 10_000)
      const sent = sandbox.state.messagesSent({})
      const logs = h.logs.join('\n')
      process.stderr.write(
        `ECONNREFUSED: 20 events, delivered ${stats.delivered - 1}, dead-lettered ${stats.deadLettered}, ` +
          `retried ${stats.retried}; messages sent once Listrak was back ${sent.total}\n`
      )
      expect(stats).toMatchObject({ delivered: 21, deadLettered: 0 })
      expect(sent.total).toBe(20)
      expect(Object.values(sent.perRecipient).every((n) => n === 1)).toBe(true)
      // The refused connections were retried as such: a 500 for each event, then its 201.
      const lines = h.logs.map((line) => JSON.parse(line) as { msg: string; statuses?: Record<string, number> })
      expect(lines.filter((l) => l.msg === 'delivery' && l.statuses?.['500']).length).toBeGreaterThanOrEqual(2)
      expect(logs).not.toContain(secret)
    } finally {
      await h.runtime.stop()
      await sandbox.stop()
    }
  }, 30_000)
})
