import type { RuntimeConfigInput } from '../../runtime/config'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { startSandbox } from '../../sandbox'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/**
 * A batch of transactional messages goes no more at once than its mapping's Requests in Flight, and only those are
 * stored as being sent: a drain cut short while 12 events are queued leaves 3 of unknown outcome, not 12.
 */

const SUBSCRIPTION = 'Order Completed → Order Confirmation'
const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const order = (i: number) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${i}`,
  messageId: `slice-${i}`,
  properties: { order_id: `S-${i}`, store: 'Downtown', points_earned: i },
  context: { traits: { email: `slice${i}@example.com` } }
})

it('marks as being sent only the messages on their way; the rest are sent after a restart, each once', async () => {
  const sandbox = await startSandbox()
  const [subscription] = configFile('config.transactional.json').subscriptions
  const input: RuntimeConfigInput = {
    subscriptions: [{ ...subscription, mapping: { ...subscription.mapping, max_concurrent_requests: 3 } }],
    settings: demo,
    listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
    delivery: { batchSize: 1000, flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 }
  }
  let h = await startTestRuntime(input)
  const queue = { ...h.config.queue }
  try {
    // Every request to Listrak takes a second: the first messages are on their way when the drain is cut short.
    sandbox.state.faults.set({ latencyMs: 1000 })
    expect((await h.post('/v1/batch', { batch: Array.from({ length: 12 }, (_, i) => order(i)) })).status).toBe(200)
    const reader = new LmdbQueue({ ...queue, role: 'reader' })
    let page
    try {
      page = await waitFor(
        'messages stored as being sent',
        () => reader.read(SUBSCRIPTION, -1, 100),
        (events) => events.some((item) => item.attempts < 0),
        { timeoutMs: 10_000 }
      )
    } finally {
      await reader.close()
    }
    expect(page).toHaveLength(12)
    expect(page.filter((item) => item.attempts < 0)).toHaveLength(3)
    await waitFor(
      'the messages in flight',
      () => sandbox.state.stats.inFlight,
      (n) => n >= 3,
      { timeoutMs: 10_000 }
    )
    expect(sandbox.state.stats.maxInFlight).toBe(3)
    const stopping = h.runtime.stop()
    h.runtime.interrupt()
    expect(await stopping).toMatchObject({ delivered: 0, deadLettered: 0, interrupted: true })
    await waitFor(
      '3 messages sent',
      () => sandbox.state.messagesSent({}).total,
      (n) => n === 3
    )
    sandbox.state.faults.clear()

    h = await startTestRuntime({ ...input, queue })
    const stats = await h.settled(12)
    expect(stats).toMatchObject({ resumed: 12, delivered: 9, deadLettered: 3 })
    expect(Object.keys(stats.reasons)).toEqual(['424 OUTCOME_UNKNOWN'])
    const perRecipient = sandbox.state.messagesSent({}).perRecipient
    expect(Object.keys(perRecipient)).toHaveLength(12)
    expect(new Set(Object.values(perRecipient))).toEqual(new Set([1]))
  } finally {
    await h.runtime.stop()
    await sandbox.stop()
  }
}, 30_000)
