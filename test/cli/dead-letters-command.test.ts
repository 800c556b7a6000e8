import type { SegmentEvent } from '@segment/actions-core'
import { execFile } from 'child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import type { EventQueue } from '../../runtime/queue'

/** `listrak-actions dead-letters list|export|retry|purge`, as a user runs them, on a store with dead letters. */

const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js')

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
}

/** Enqueues one event, as ingest does for a single call. */
const one = (queue: EventQueue, event: SegmentEvent, subscriptions: string[], dedup: boolean) =>
  queue.enqueue([{ event, subscriptions }], { dedup }).then(([result]) => result)

const event = (n: number) => ({ type: 'track', messageId: `m${n}`, userId: `u${n}` }) as SegmentEvent

/** A config whose store holds five dead letters: three refused for list 12345, two given up on for list 777. */
async function storeWithDeadLetters() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dead-letters-'))
  const queuePath = path.join(dir, 'queue')
  const config = path.join(dir, 'config.json')
  const subscription = (name: string) => ({
    name,
    subscribe: 'type = "track"',
    partnerAction: 'updateEmailContactProfileFields',
    mapping: { listId: 12345, profileFieldValues: { '6789': 'on' } }
  })
  writeFileSync(config, JSON.stringify({ subscriptions: [subscription('fields')], queue: { path: queuePath } }))
  const store = new LmdbQueue({
    path: queuePath,
    maxBytes: 2 ** 30,
    dedupWindowMs: 0,
    dedupMaxEntries: 0,
    role: 'owner'
  })
  const letters = [
    { n: 1, subscription: 'fields', status: 400, listId: 12345, reason: 'list 12345 has no profile field 8801' },
    { n: 2, subscription: 'fields', status: 400, listId: 12345, reason: 'list 12345 has no profile field 8801' },
    { n: 3, subscription: 'gone', status: 400, listId: 12345, reason: 'list 12345 has no profile field 8801' },
    {
      n: 4,
      subscription: 'fields',
      status: 503,
      listId: 777,
      reason: 'gave up after 5 attempt(s): Service Unavailable'
    },
    {
      n: 5,
      subscription: 'fields',
      status: 503,
      listId: 777,
      reason: 'gave up after 5 attempt(s): Service Unavailable'
    }
  ]
  for (const { n, subscription, status, listId, reason } of letters) {
    const enqueued = await one(store, event(n), [subscription], false)
    const position = enqueued.duplicate ? -1 : enqueued.position
    await store.settle({
      subscription,
      delivered: [],
      retried: [],
      deadLettered: [{ position, letter: { subscription, status, listId, reason, attempts: 1, event: event(n) } }]
    })
  }
  await store.close()
  return { dir, config, queuePath }
}

describe('listrak-actions dead-letters', () => {
  it('lists counts by reason and the newest rows, and exports NDJSON to a file only its owner can read', async () => {
    const { dir, config } = await storeWithDeadLetters()
    const list = await run(['dead-letters', 'list', '--config', config])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^5 dead letter\(s\) in .*queue, by reason:$/m)
    expect(list.stdout).toMatch(/^3\s+400\s+list 12345 has no profile field 8801$/m)
    expect(list.stdout).toMatch(/^2\s+503\s+gave up after 5 attempt\(s\): Service Unavailable$/m)
    expect(list.stdout).toMatch(
      /^Newest 5:\nid\s+at\s+subscription\s+list\s+status\s+attempts\s+messageId\n5\s.*\s+m5\n {4}gave up after 5 attempt\(s\): Service Unavailable$/m
    )

    const out = path.join(dir, 'export.ndjson')
    const exported = await run(['dead-letters', 'export', '--config', config, '--out', out])
    expect(exported).toMatchObject({ code: 0, stderr: expect.stringContaining('Exported 5 dead letter(s)') })
    expect((statSync(out).mode & 0o777).toString(8)).toBe('600')
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.map((l) => l.messageId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    expect(lines[0]).toMatchObject({ id: 1, subscription: 'fields', status: 400, listId: 12345, event: event(1) })

    const filtered = await run(['dead-letters', 'export', '--config', config, '--reason', 'UNAVAILABLE'])
    expect(
      filtered.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { messageId: string }).messageId)
    ).toEqual(['m4', 'm5'])
  })

  it('re-queues by list, keeps those whose subscription is gone, and refuses while a runtime holds the store', async () => {
    const { config, queuePath } = await storeWithDeadLetters()
    const holder = new LmdbQueue({
      path: queuePath,
      maxBytes: 2 ** 30,
      dedupWindowMs: 0,
      dedupMaxEntries: 0,
      role: 'owner'
    })
    try {
      const refused = await run(['dead-letters', 'retry', '--config', config])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`is in use by process ${process.pid}`)
    } finally {
      await holder.close()
    }

    const retried = await run(['dead-letters', 'retry', '--config', config, '--list', '12345'])
    expect(retried.code).toBe(0)
    expect(retried.stdout).toContain(
      'Re-queued 2 dead letter(s) (list 12345) ("fields": 2); the runtime delivers them when it starts.'
    )
    expect(retried.stdout).toContain('Kept 1 whose subscription is not enabled in the config ("gone": 1)')

    const store = new LmdbQueue({
      path: queuePath,
      maxBytes: 2 ** 30,
      dedupWindowMs: 0,
      dedupMaxEntries: 0,
      role: 'reader'
    })
    try {
      expect(Object.fromEntries(store.resumable)).toEqual({ fields: 2 })
      expect((await store.read('fields', -1, 10)).map((q) => [q.event.messageId, q.attempts])).toEqual([
        ['m1', 0],
        ['m2', 0]
      ])
      expect([...store.deadLetters()].map((l) => l.messageId)).toEqual(['m3', 'm4', 'm5'])
    } finally {
      await store.close()
    }
  })

  it('purges by reason without asking and prints what it removed', async () => {
    const { config } = await storeWithDeadLetters()
    const purged = await run(['dead-letters', 'purge', '--config', config, '--reason', 'gave up'])
    expect(purged.code).toBe(0)
    expect(purged.stdout).toMatch(/^Removed 2 dead letter\(s\) \(reason containing "gave up"\) from .*:$/m)
    expect(purged.stdout).toMatch(/^2\s+503\s+gave up after 5 attempt\(s\): Service Unavailable$/m)
    expect((await run(['dead-letters', 'list', '--config', config])).stdout).toMatch(/^3 dead letter\(s\) in /m)
    const nothing = await run(['dead-letters', 'purge', '--config', config, '--list', '999'])
    expect(nothing).toMatchObject({ code: 0, stdout: expect.stringContaining('No dead letters (list 999) to remove') })
  })

  it('says where the dead letters are when there is no store, or the config keeps the queue in memory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dead-letters-'))
    const base = {
      subscriptions: [
        { name: 'x', subscribe: 'type = "track"', partnerAction: 'updateEmailContactProfileFields', mapping: {} }
      ]
    }
    const missing = path.join(dir, 'missing.json')
    writeFileSync(missing, JSON.stringify({ ...base, queue: { path: path.join(dir, 'nothing-here') } }))
    const none = await run(['dead-letters', 'list', '--config', missing])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('There is no queue store at')
    // Looking does not create a store.
    expect(existsSync(path.join(dir, 'nothing-here'))).toBe(false)

    const memory = path.join(dir, 'memory.json')
    writeFileSync(
      memory,
      JSON.stringify({ ...base, queue: { memory: true }, delivery: { deadLetterFile: 'letters.ndjson' } })
    )
    const inMemory = await run(['dead-letters', 'list', '--config', memory])
    expect(inMemory.code).toBe(1)
    expect(inMemory.stderr).toMatch(
      /keeps the queue in memory \(queue\.memory\).*letters\.ndjson, one JSON object per line/
    )
  })
})
