import { mkdtempSync, readFileSync, rmSync } from 'fs'
import os from 'os'
import path from 'path'
import type { RuntimeConfigInput } from '../../runtime/config'
import { exportDeadLetters } from '../../runtime/commands/dead-letters'
import { startSandbox } from '../../sandbox'
import { startRedisServer } from '../redis-server'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/**
 * Send Transactional Message on the queue in Redis: a runtime stops while a batch of messages is on its way, and the
 * runtime that takes its partitions over finds the batch stored as being sent. It dead-letters it as outcome unknown
 * rather than sending it again.
 */

const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const order = (email: string, id: string) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${email.split('@')[0]}`,
  messageId: `order-${id}`,
  properties: { order_id: id, store: 'Downtown', points_earned: 85 },
  context: { traits: { email } }
})

it('a batch in flight when its runtime stopped is dead-lettered by the next one as OUTCOME_UNKNOWN, not sent again', async () => {
  const server = await startRedisServer({ aof: true })
  const sandbox = await startSandbox()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'at-most-once-redis-'))
  const input: RuntimeConfigInput = {
    ...configFile('config.transactional.json'),
    settings: demo,
    listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
    delivery: { flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 },
    queue: {
      redis: { url: server.url, keyPrefix: '{at-most-once}', partitions: 2, pollMs: 20, leaseMs: 300, claimIdleMs: 300 }
    }
  }
  let first: Awaited<ReturnType<typeof startTestRuntime>> | undefined
  let second: Awaited<ReturnType<typeof startTestRuntime>> | undefined
  try {
    first = await startTestRuntime(input)
    sandbox.state.faults.set({ latencyMs: 1000 })
    await first.post('/v1/batch', {
      batch: [order('jane@example.com', 'R-1'), order('john@example.com', 'R-2'), order('ana@example.com', 'R-3')]
    })
    await waitFor(
      'the messages in flight',
      () => sandbox.state.stats.inFlight,
      (n) => n >= 3,
      { timeoutMs: 10_000 }
    )
    // A second signal: the drain stops at once; Redis keeps what was read and not settled.
    const stopping = first.runtime.stop()
    first.runtime.interrupt()
    expect(await stopping).toMatchObject({ delivered: 0, deadLettered: 0, interrupted: true })
    await waitFor(
      'the messages sent',
      () => sandbox.state.messagesSent({}).total,
      (n) => n === 3
    )
    sandbox.state.faults.clear()

    second = await startTestRuntime(input)
    const stats = await second.settled(3, 10_000)
    expect(stats).toMatchObject({ delivered: 0, refused: 3, deadLettered: 3 })
    const out = path.join(dir, 'dead.ndjson')
    expect(await exportDeadLetters(second.config, {}, out)).toBe(3)
    const letters = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { status: number; reason: string })
    for (const letter of letters) {
      expect(letter.status).toBe(424)
      expect(letter.reason).toMatch(/^The runtime stopped \(or another runtime took over\)/)
    }
    expect(sandbox.state.messagesSent({}).perRecipient).toEqual({
      'jane@example.com': 1,
      'john@example.com': 1,
      'ana@example.com': 1
    })
  } finally {
    await first?.runtime.stop()
    await second?.runtime.stop()
    await sandbox.stop()
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}, 40_000)
