import { ChildProcess, execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { exited, CLI, startCli } from '../cli/process'
import { configFile } from '../runtime/harness'
import { waitFor } from '../wait'
import { runtimeUrl, startLatentSandbox, stopAll } from './kill-harness'

/**
 * `kill -9` of the runtime in the middle of a batch of 1,000 transactional messages, against the sandbox in a process
 * of its own with Listrak's latency, answers lost before and after processing, and a lag before a send shows in the
 * message's activity. The next start dead-letters what was on its way as of unknown outcome; `dead-letters
 * reconcile` settles each from the activity, `dead-letters retry` sends those not sent, and every recipient ends with
 * exactly one message.
 */

const EVENTS = 1000
const IN_FLIGHT = 16
const KILL_AFTER_SENT = 200
const ACTIVITY_LAG_MS = 1000
const ACTIVITY_DELAY_MS = 3000

interface Letter {
  status: number
  reason: string
  messageId: string
  reconciled?: { outcome: 'sent' | 'not-sent' }
}

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })

const order = (i: number) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${i}`,
  messageId: `order-${i}`,
  properties: { order_id: `K-${i}`, store: 'Downtown', points_earned: i },
  context: { traits: { email: `buyer${i}@example.com` } }
})

const json = async <T>(url: string, init?: RequestInit) => (await (await fetch(url, init)).json()) as T

it('after a kill -9 mid-batch, reconcile then retry: every recipient gets exactly one message', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kill-transactional-'))
  const sandbox = await startLatentSandbox([
    '--activity-lag',
    String(ACTIVITY_LAG_MS),
    '--drop-rate',
    '0.01',
    '--drop-after-rate',
    '0.01',
    '--seed',
    '7'
  ])
  const runtimes: ChildProcess[] = []
  try {
    const [subscription] = configFile('config.transactional.json').subscriptions
    const config = path.join(dir, 'config.json')
    writeFileSync(
      config,
      JSON.stringify({
        settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
        listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
        subscriptions: [{ ...subscription, mapping: { ...subscription.mapping, max_concurrent_requests: IN_FLIGHT } }],
        delivery: { batchSize: EVENTS, flushIntervalMs: 100 },
        queue: { path: path.join(dir, 'queue') },
        reconcile: { activityDelayMs: ACTIVITY_DELAY_MS, windowMarginMs: 1000 }
      })
    )
    const serve = async () => {
      const runtime = await startCli(['serve', '--config', config, '--port', '0', '--no-check'], /^Stats:/m)
      runtimes.push(runtime.child)
      return { ...runtime, url: runtimeUrl(runtime.output()) }
    }
    const sent = () => json<{ total: number }>(`${sandbox.url}/_sandbox/messages?email=nobody`)
    const deliverAll = async (runtime: Awaited<ReturnType<typeof serve>>) => {
      await waitFor(
        'the runtime to settle what it holds',
        () => json<{ queueDepth: number }>(`${runtime.url}/stats`),
        (stats) => stats.queueDepth === 0,
        { timeoutMs: 60_000, intervalMs: 100 }
      )
      runtime.child.kill('SIGTERM')
      expect(await exited(runtime.child)).toEqual([0, null])
    }
    const letters = async () =>
      (await run(['dead-letters', 'export', '--config', config])).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Letter)

    // One batch of 1,000 messages; the runtime dies while it is sending them.
    const first = await serve()
    const batch = Array.from({ length: EVENTS }, (_, i) => order(i))
    const answer = await fetch(`${first.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch })
    })
    expect(answer.status).toBe(200)
    await waitFor(`${KILL_AFTER_SENT} messages sent`, sent, (s) => s.total >= KILL_AFTER_SENT, {
      timeoutMs: 30_000,
      intervalMs: 50
    })
    first.child.kill('SIGKILL')
    await exited(first.child)
    const sentAtKill = (await sent()).total

    // The next start dead-letters what was on its way, and sends the rest.
    await deliverAll(await serve())
    const unknown = (await letters()).filter((letter) => letter.status === 424)
    const atCrash = unknown.filter((letter) => letter.reason.startsWith('The runtime stopped'))
    expect(atCrash.length).toBeGreaterThan(0)
    expect(atCrash.length).toBeLessThanOrEqual(IN_FLIGHT)

    // Listrak answers every request again; reconcile runs until the delay has passed for every letter.
    await json(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dropRate: 0, dropAfterRate: 0 })
    })
    const reconciles: number[] = []
    const reconciled = await waitFor(
      'reconcile to settle every unknown outcome',
      async () => {
        const result = await run(['dead-letters', 'reconcile', '--config', config])
        reconciles.push(result.code)
        return result
      },
      (result) => result.code === 0,
      { timeoutMs: 30_000, intervalMs: 200, report: (result) => `${result.code}: ${result.stdout}${result.stderr}` }
    )
    expect(reconciled.stdout).toMatch(/^ {2}not settled: +0$/m)
    const settled = await letters()
    const settledAsSent = settled.filter((l) => l.reconciled?.outcome === 'sent').length
    const notSent = settled.filter((l) => l.reconciled?.outcome === 'not-sent').length
    expect(settledAsSent + notSent).toBe(unknown.length)

    const retried = await run(['dead-letters', 'retry', '--config', config])
    expect(retried.code).toBe(0)
    if (notSent > 0) expect(retried.stdout).toContain(`Re-queued ${notSent} dead letter(s)`)
    await deliverAll(await serve())

    const { perRecipient, total } = await json<{ perRecipient: Record<string, number>; total: number }>(
      `${sandbox.url}/_sandbox/messages`
    )
    const counts = [0, 0, 0]
    for (let i = 0; i < EVENTS; i++) counts[Math.min(2, perRecipient[`buyer${i}@example.com`] ?? 0)]++
    process.stderr.write(
      `kill -9 mid-batch of ${EVENTS} messages (${sentAtKill} sent at the kill): unknown outcomes found ` +
        `${unknown.length} (${atCrash.length} in flight at the crash, at most ${IN_FLIGHT}; ` +
        `${unknown.length - atCrash.length} answers lost), settled as sent ${settledAsSent}, retried ${notSent}, ` +
        `reconcile runs ${reconciles.length} (exit codes ${reconciles.join(',')}); messages ${total}; ` +
        `recipients with 0/1/2+ messages ${counts.join('/')}\n`
    )
    expect(counts).toEqual([0, EVENTS, 0])
    expect(total).toBe(EVENTS)
  } finally {
    await stopAll(runtimes, sandbox, dir)
  }
}, 120_000)
