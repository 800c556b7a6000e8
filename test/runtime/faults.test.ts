import { startSandbox } from '../../sandbox'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { startTestRuntime } from './harness'

/**
 * The runtime against a sandbox that fails, stalls, drops connections and expires tokens, under a fixed seed:
 * every accepted event must end up in exactly one place, the sandbox's contact store or the dead-letter file.
 */
describe('runtime under faults', () => {
  it('loses nothing and reports nothing twice', async () => {
    const secret = 'fault-test-secret-7f3a'
    const sandbox = await startSandbox({
      fixture: {
        credentials: [{ clientId: 'fault-client', clientSecret: secret }],
        lists: [
          {
            listId: 12345,
            listName: 'Newsletter',
            segmentationFieldGroups: [
              {
                segmentationFieldGroupId: 1,
                segmentationFieldGroupName: 'Engage Audiences',
                segmentationFields: [
                  { segmentationFieldId: 6789, segmentationFieldName: 'my_audience', dataType: 'CheckBox' }
                ]
              }
            ]
          }
        ]
      },
      faults: { seed: 42, failureRate: 0.25, failureStatus: 503, dropRate: 0.05, latencyMs: [0, 10], tokenMaxUses: 4 }
    })
    const h = await startTestRuntime({
      settings: { client_id: 'fault-client', client_secret: secret },
      listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
      subscriptions: [
        {
          name: 'audience',
          subscribe: 'context.personas.computation_key = "my_audience"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
        }
      ],
      delivery: { batchSize: 25, flushIntervalMs: 10, maxAttempts: 3, retryBaseMs: 5, retryMaxMs: 40, concurrency: 4 }
    })
    try {
      const expected = new Map<string, string>()
      const events = Array.from({ length: 400 }, (_, i) => {
        const email = `user${i}@example.com`
        const member = i % 3 !== 0
        expected.set(email, member ? 'on' : 'off')
        return i % 4 === 0
          ? audienceIdentify(email, 'my_audience', member)
          : audienceTrack(email, 'my_audience', member)
      })
      for (let i = 0; i < events.length; i += 50) {
        const response = await h.post('/v1/batch', { batch: events.slice(i, i + 50) })
        expect(response.status).toBe(200)
      }
      const token = await h.runtime.tokens.get()
      const summary = await h.runtime.stop()

      const stored = sandbox.state.contactsOf(12345)
      const letters = h.deadLetters()
      const storedEmails = stored.map((c) => c.emailAddress)
      const letterEmails = letters.map((l) => {
        const event = l.event as { context?: { traits?: { email?: string } }; traits?: { email?: string } }
        return (event.context?.traits?.email ?? event.traits?.email) as string
      })

      // Every accepted event is in exactly one place.
      expect(summary.accepted).toBe(400)
      expect(new Set([...storedEmails, ...letterEmails]).size).toBe(400)
      expect(storedEmails.length + letterEmails.length).toBe(400)
      expect(summary.delivered).toBe(storedEmails.length)
      expect(summary.deadLettered).toBe(letterEmails.length)
      // What arrived has the right value; what did not says why.
      for (const contact of stored) expect(contact.fields).toEqual({ '6789': expected.get(contact.emailAddress) })
      for (const letter of letters) expect(letter.reason).toMatch(/^gave up after 3 attempt\(s\): /)
      // The faults really happened, and were retried.
      const stats = sandbox.state.stats
      expect(summary.retried).toBeGreaterThan(0)
      expect(stats.tokensIssued).toBeGreaterThan(1)
      // Nothing secret in the logs.
      const logs = h.logs.join('\n')
      expect(logs).not.toContain(secret)
      expect(logs).not.toContain(token)
      process.stderr.write(
        `runtime under faults: accepted ${summary.accepted}, delivered ${summary.delivered}, retried ${summary.retried}, ` +
          `dead-lettered ${summary.deadLettered}; sandbox requests ${stats.requests}, tokens ${stats.tokensIssued}, ` +
          `imports ${stats.imports}\n`
      )
    } finally {
      await h.runtime.stop()
      await sandbox.stop()
    }
  })
})
