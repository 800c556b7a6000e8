import { execFile } from 'child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { startSandbox, Sandbox } from '../../sandbox'
import { configFile } from '../runtime/harness'
import { deadLetter, order, ORDER_SUBSCRIPTION, sendThroughListrak } from '../runtime/unknown-letters'
import { CLI } from './process'

/**
 * `listrak-actions dead-letters reconcile` and `retry`, as a user runs them, on a store with dead letters of unknown
 * outcome, against the sandbox over loopback.
 */

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'dead-letters', ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
}

let sandbox: Sandbox
let dir: string
let queuePath: string

beforeEach(async () => {
  sandbox = await startSandbox()
  dir = mkdtempSync(path.join(os.tmpdir(), 'reconcile-command-'))
  queuePath = path.join(dir, 'queue')
})

afterEach(async () => {
  await sandbox.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A config on the store and the sandbox, with this delay; without credentials when `credentials` is false. */
function writeConfig(name: string, activityDelayMs: number, credentials = true): string {
  const file = path.join(dir, name)
  writeFileSync(
    file,
    JSON.stringify({
      ...configFile('config.transactional.json'),
      ...(credentials ? { settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' } } : {}),
      listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
      queue: { path: queuePath },
      reconcile: { activityDelayMs, windowMarginMs: 1000 }
    })
  )
  return file
}

/** Two messages of unknown outcome, one of which Listrak took, and one event that gave up on 503s. */
async function storeWithUnknownOutcomes(): Promise<void> {
  const store = new LmdbQueue({
    path: queuePath,
    maxBytes: 2 ** 30,
    dedupWindowMs: 0,
    dedupMaxEntries: 0,
    role: 'owner'
  })
  try {
    const received = Date.now() - 1000
    await sendThroughListrak(sandbox, ['sent@example.com'])
    await deadLetter(store, [order('sent@example.com', received), order('lost@example.com', received)])
    await deadLetter(store, [order('busy@example.com', received)], { status: 503 })
  } finally {
    await store.close()
  }
}

const queued = () => {
  const store = new LmdbQueue({
    path: queuePath,
    maxBytes: 2 ** 30,
    dedupWindowMs: 0,
    dedupMaxEntries: 0,
    role: 'reader'
  })
  return store.read(ORDER_SUBSCRIPTION, -1, 100).then(async (events) => {
    await store.close()
    return events.map((item) => item.event.messageId)
  })
}

it('retry keeps messages of unknown outcome until reconciled, exiting 1; reconcile settles them; retry then sends only those not sent', async () => {
  await storeWithUnknownOutcomes()
  const patient = writeConfig('patient.json', 600_000)
  const now = writeConfig('now.json', 0)

  const refused = await run(['retry', '--config', patient])
  expect(refused.code).toBe(1)
  expect(refused.stdout).toContain(
    `Re-queued 1 dead letter(s) ("${ORDER_SUBSCRIPTION}": 1); the runtime delivers them when it starts.`
  )
  expect(refused.stdout).toContain(
    `Kept 2 of unknown outcome (the message may have been sent) ("${ORDER_SUBSCRIPTION}": 2): run dead-letters ` +
      "reconcile first, which asks Listrak's activity, or retry with --force to send them anyway, which may email " +
      'someone twice.'
  )
  expect(await queued()).toEqual(['order-busy@example.com'])

  // The delay has not passed: the one Listrak shows is settled, the other is too recent to tell.
  const early = await run(['reconcile', '--config', patient])
  expect(early.code).toBe(1)
  expect(early.stdout).toMatch(
    /^2 dead letter\(s\) of unknown outcome in .*queue, checked against Listrak's activity:$/m
  )
  expect(early.stdout).toMatch(/^ {2}sent, settled as delivered \(never sent again\): 1$/m)
  expect(early.stdout).toMatch(/^ {2}not sent \(dead-letters retry sends them\): +0$/m)
  expect(early.stdout).toMatch(/^ {2}not settled: +1$/m)
  expect(early.stdout).toMatch(
    /^ {2}\d+ {2}order-lost@example\.com {2}too recent: .* run reconcile again after \d{4}-/m
  )

  // Beside a runtime that holds the store, as reconcile may run.
  const runtime = new LmdbQueue({
    path: queuePath,
    maxBytes: 2 ** 30,
    dedupWindowMs: 0,
    dedupMaxEntries: 0,
    role: 'owner'
  })
  let settled
  try {
    settled = await run(['reconcile', '--config', now])
  } finally {
    await runtime.close()
  }
  expect(settled.code).toBe(0)
  expect(settled.stdout).toMatch(/^1 dead letter\(s\) of unknown outcome in .*queue/m)
  expect(settled.stdout).toMatch(/^ {2}not sent \(dead-letters retry sends them\): +1$/m)

  const retried = await run(['retry', '--config', now])
  expect(retried.code).toBe(0)
  expect(retried.stdout).toContain(`Re-queued 1 dead letter(s) ("${ORDER_SUBSCRIPTION}": 1)`)
  expect(retried.stdout).toContain(
    `Kept 1 settled as sent (Listrak's activity shows the message went), never sent again ("${ORDER_SUBSCRIPTION}": 1): purge them when done.`
  )
  expect(await queued()).toEqual(['order-busy@example.com', 'order-lost@example.com'])
  expect(sandbox.state.messagesSent({}).total).toBe(1)
})

it('retry --force sends messages of unknown outcome without reconciling them', async () => {
  await storeWithUnknownOutcomes()
  const forced = await run(['retry', '--config', writeConfig('config.json', 0), '--force'])
  expect(forced.code).toBe(0)
  expect(forced.stdout).toContain(`Re-queued 3 dead letter(s) ("${ORDER_SUBSCRIPTION}": 3)`)
})

it('reconcile exits 2 for a queue in Redis, whose dead letters it cannot change yet', async () => {
  const redis = await run(['reconcile', '--config', writeConfig('config.json', 0), '--redis', 'redis://127.0.0.1:1'])
  expect(redis.code).toBe(2)
  expect(redis.stderr).toContain('dead-letters reconcile is not available for a queue in Redis (queue.redis) yet')
})

it('reconcile exits 1, saying why, when it has no credentials or Listrak does not answer', async () => {
  await storeWithUnknownOutcomes()
  const anonymous = await run(['reconcile', '--config', writeConfig('anonymous.json', 0, false)])
  expect(anonymous.code).toBe(1)
  expect(anonymous.stderr).toContain("dead-letters reconcile asks Listrak's activity, so it needs the credentials")

  const config = writeConfig('config.json', 0)
  await sandbox.stop()
  const unreachable = await run(['reconcile', '--config', config])
  expect(unreachable.code).toBe(1)
  expect(unreachable.stderr).toMatch(
    /Nothing was reconciled: no token from Listrak\. Could not reach Listrak at http:\/\/127\.0\.0\.1:\d+\/OAuth2\/Token \(ECONNREFUSED\)/
  )
  expect(unreachable.stderr).not.toContain('demo-client-secret')
})
