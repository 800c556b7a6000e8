import { startSandbox } from '../../sandbox'
import { audienceEvents } from '../../scripts/generate-events'
import { startTestRuntime } from '../runtime/harness'

/**
 * Many events for few contacts, through the runtime, against a sandbox that fails, stalls, drops connections and
 * expires tokens under a seed. The sandbox's final contacts must equal the fold, in the order the runtime accepted
 * them, of every event that was not dead-lettered; and every event is delivered or dead-lettered, once.
 */
it.each([7, 11])('the contact store equals the fold of the delivered events (seed %i)', async (seed) => {
  const sandbox = await startSandbox({
    faults: { seed, failureRate: 0.2, failureStatus: 500, dropRate: 0.05, latencyMs: [0, 5], tokenMaxUses: 6 }
  })
  const h = await startTestRuntime({
    settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
    listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
    subscriptions: [
      {
        name: 'audience',
        subscribe: 'context.personas.computation_key = "my_audience"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
      }
    ],
    delivery: { batchSize: 30, flushIntervalMs: 5, maxAttempts: 4, retryBaseMs: 2, retryMaxMs: 20 }
  })
  try {
    const events = [...audienceEvents({ count: 600, users: 40, audience: 'my_audience', identifyShare: 0.3, seed })]
    for (let i = 0; i < events.length; i += 100) {
      expect((await h.post('/v1/batch', { batch: events.slice(i, i + 100) })).status).toBe(200)
    }
    const summary = await h.runtime.stop()
    const deadLettered = new Set(h.deadLetters().map((l) => l.messageId))

    const expected = new Map<string, Record<string, string>>()
    for (const event of events as {
      messageId: string
      traits?: Record<string, unknown>
      properties?: Record<string, unknown>
      context: { traits?: { email?: string } }
    }[]) {
      if (deadLettered.has(event.messageId)) continue
      const email = (event.context.traits?.email ?? event.traits?.email) as string
      const member = (event.properties ?? event.traits)?.my_audience === true
      expected.set(email, { '6789': member ? 'on' : 'off' })
    }
    const stored = new Map(sandbox.state.contactsOf(12345).map((c) => [c.emailAddress, c.fields]))

    expect(stored).toEqual(expected)
    expect(summary.accepted).toBe(600)
    expect(summary.delivered + summary.deadLettered).toBe(600)
    expect(deadLettered.size).toBe(summary.deadLettered)
    expect(sandbox.state.stats.requests).toBeGreaterThan(summary.delivered / 30)
  } finally {
    await h.runtime.stop()
    await sandbox.stop()
  }
})
