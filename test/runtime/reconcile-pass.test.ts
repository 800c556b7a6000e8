import { startSandbox } from '../../sandbox'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/**
 * The runtime's own reconcile pass (`reconcile.everyMs`): a message whose answer was lost after Listrak took it is
 * settled as sent; one whose connection closed before Listrak took it is settled as not sent once the delay has
 * passed, and is not sent again until an operator retries it.
 */

const order = (email: string) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${email}`,
  messageId: `order-${email}`,
  properties: { store: 'Downtown', points_earned: 1 },
  context: { traits: { email } }
})

it('settles unknown outcomes by itself every reconcile.everyMs, and sends none again', async () => {
  const sandbox = await startSandbox()
  const h = await startTestRuntime({
    ...configFile('config.transactional.json'),
    settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
    listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
    delivery: { flushIntervalMs: 10 },
    reconcile: { everyMs: 50, activityDelayMs: 300, windowMarginMs: 0 }
  })
  try {
    await h.runtime.tokens.get()
    sandbox.state.faults.set({ dropAfterRate: 1 })
    await h.post('/v1/track', order('taken@example.com'))
    await h.settled(1)
    sandbox.state.faults.set({ dropAfterRate: 0, dropRate: 1 })
    await h.post('/v1/track', order('lost@example.com'))
    await h.settled(2)
    sandbox.state.faults.clear()

    const letters = await waitFor(
      'both letters reconciled',
      () => h.deadLetters(),
      (found) => found.length === 2 && found.every((letter) => letter.reconciled !== undefined),
      { timeoutMs: 20_000 }
    )
    const outcomes = Object.fromEntries(letters.map((l) => [l.messageId, l.reconciled?.outcome]))
    expect(outcomes).toEqual({ 'order-taken@example.com': 'sent', 'order-lost@example.com': 'not-sent' })
    expect(h.logs.join('\n')).toContain("reconciled dead letters of unknown outcome with Listrak's activity")
    expect(sandbox.state.messagesSent({}).perRecipient).toEqual({ 'taken@example.com': 1 })
    expect(await h.runtime.stop()).toMatchObject({ delivered: 0, deadLettered: 2 })
  } finally {
    await h.runtime.stop()
    await sandbox.stop()
  }
})
