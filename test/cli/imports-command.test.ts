import type { SegmentEvent } from '@segment/actions-core'
import { execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import type { EventQueue } from '../../runtime/queue'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { RedisQueue } from '../../runtime/queue/redis/queue'
import { startRedisServer } from '../redis-server'
import { CLI } from './process'

/** `listrak-actions imports`, as a user runs it, on a store (or a Redis) with list imports followed and finished. */

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })

const event = (email: string) =>
  ({ type: 'identify', messageId: `m-${email}`, traits: { email } }) as unknown as SegmentEvent

/** One import followed (Queued at its last poll) and one finished with two addresses refused. */
async function fill(queue: EventQueue): Promise<void> {
  const emails = ['jane@example.com', 'bad@@example.com', 'spam@example.com']
  await queue.enqueue(
    emails.map((email) => ({ event: event(email), subscriptions: ['signups'] })),
    { dedup: false }
  )
  let page = await queue.read('signups', -1, 10)
  for (let tries = 0; page.length < emails.length && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    page = await queue.read('signups', -1, 10)
  }
  const rows = page.map((item) => ({
    position: item.position,
    emailAddress: (item.event.traits as { email: string }).email,
    event: item.event,
    attempts: 1
  }))
  await queue.settle({
    subscription: 'signups',
    delivered: page.map((item) => item.position),
    deadLettered: [],
    retried: [],
    followUps: [
      { listId: 12345, importFileId: '3', rows: rows.slice(0, 2) },
      { listId: 12345, importFileId: '4', importType: 'AddSubscribers', rows: rows.slice(2) }
    ]
  })
  const key = (importFileId: string) => ({ subscription: 'signups', listId: 12345, importFileId })
  await queue.imports.progress(key('4'), { status: 'Queued', checkedAt: '2026-12-04T15:00:03.000Z', polls: 2 })
  await queue.imports.finish(key('3'), {
    report: {
      ...key('3'),
      startedAt: '2026-12-04T15:00:00.000Z',
      finishedAt: '2026-12-04T15:00:09.000Z',
      outcome: 'completed',
      status: 'Completed',
      rows: 2,
      deadLettered: 2,
      refused: 2,
      refusals: [
        { emailAddress: 'bad@@example.com', importResult: 'InvalidEmail' },
        { emailAddress: 'spam@example.com', importResult: 'Banned' }
      ]
    },
    letters: []
  })
}

const expectListing = (stdout: string) => {
  expect(stdout).toMatch(/^1 list import\(s\) being followed in /)
  expect(stdout).toMatch(/signups\s+12345\s+4\s+\S+\s+1\s+Queued\s+2026-12-04T15:00:03\.000Z\s+2/)
  expect(stdout).toContain('1 finished, newest first (the last 100 are kept):')
  expect(stdout).toMatch(/signups\s+12345\s+3\s+2026-12-04T15:00:09\.000Z\s+completed\s+Completed\s+2\s+2\s+2/)
  expect(stdout).toMatch(/\n {4}InvalidEmail\s+bad@@example\.com\n {4}Banned\s+spam@example\.com/)
}

describe('listrak-actions imports', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imports-command-'))
  const config = path.join(dir, 'config.json')
  const subscription = {
    name: 'signups',
    subscribe: 'type = "identify"',
    partnerAction: 'unsubscribeContact',
    mapping: { listId: 12345 }
  }

  it("lists the store's imports followed and finished, with the refusals, and exits 0", async () => {
    const queuePath = path.join(dir, 'queue')
    writeFileSync(
      config,
      JSON.stringify({ subscriptions: [subscription], queue: { path: path.join(dir, 'elsewhere') } })
    )
    const store = new LmdbQueue({
      path: queuePath,
      maxBytes: 2 ** 30,
      dedupWindowMs: 0,
      dedupMaxEntries: 0,
      role: 'owner'
    })
    try {
      await fill(store)
    } finally {
      await store.close()
    }
    const listed = await run(['imports', '--config', config, '--store', queuePath])
    expect([listed.code, listed.stderr]).toEqual([0, ''])
    expectListing(listed.stdout)
    expect(listed.stdout).toContain(queuePath)
  })

  it('says when nothing is followed, and refuses a store that is not there or a queue in memory', async () => {
    const empty = path.join(dir, 'empty')
    writeFileSync(config, JSON.stringify({ subscriptions: [subscription], queue: { path: empty } }))
    await new LmdbQueue({ path: empty, maxBytes: 2 ** 30, dedupWindowMs: 0, dedupMaxEntries: 0, role: 'owner' }).close()
    expect(await run(['imports', '--config', config])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^No list import is being followed in .*\n\nNo list import has finished yet\.\n$/)
    })
    const missing = await run(['imports', '--config', config, '--store', path.join(dir, 'nowhere')])
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('There is no queue store at')])
    writeFileSync(config, JSON.stringify({ subscriptions: [subscription], queue: { memory: true } }))
    const memory = await run(['imports', '--config', config])
    expect([memory.code, memory.stderr]).toEqual([1, expect.stringContaining('keeps the queue in memory')])
  })

  it('reads them from Redis with --redis, joining no runtime', async () => {
    const server = await startRedisServer()
    try {
      const queue = await RedisQueue.open({
        connection: server.url,
        keyPrefix: '{listrak-actions}',
        partitions: 2,
        maxBytes: 2 ** 30,
        dedupWindowMs: 0,
        leaseMs: 1000,
        claimIdleMs: 1000
      })
      try {
        await fill(queue)
      } finally {
        await queue.close()
      }
      writeFileSync(config, JSON.stringify({ subscriptions: [subscription] }))
      const listed = await run(['imports', '--config', config, '--redis', server.url])
      expect([listed.code, listed.stderr]).toEqual([0, ''])
      expectListing(listed.stdout)
      expect(listed.stdout).toContain(`redis://127.0.0.1:${server.port}`)
    } finally {
      await server.stop()
    }
  })
})
