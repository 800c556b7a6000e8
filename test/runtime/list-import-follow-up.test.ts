import { startSandbox, Sandbox } from '../../sandbox'
import { startRedisServer } from '../redis-server'
import type { RuntimeConfigInput } from '../../runtime/config'
import { RedisQueue } from '../../runtime/queue/redis/queue'
import { waitFor } from '../wait'
import { startTestRuntime } from './harness'

/**
 * The runtime follows up the list imports of Create or Update Contact in bulk, against the sandbox on loopback:
 * Listrak (the sandbox) takes the import with a 201, applies its rows later, and says per address whether it took
 * it; the runtime dead-letters exactly the events of the addresses it refused, and leaves no follow-up behind.
 */

// Each wait reads the store as `dead-letters list` does, starting a child process each time: slow on a busy machine.
jest.setTimeout(60_000)

const signup = (email: string) => ({
  type: 'identify',
  userId: `user-${email}`,
  messageId: `signup-${email}`,
  traits: { email }
})

/**
 * A config delivering `events` events at once: one batch of exactly that many, sent as soon as it is full, so that a
 * busy machine never splits it (a part below the threshold would go request by request, outside the import).
 */
const config = (sandbox: Sandbox, events: number, imports: RuntimeConfigInput['imports'] = {}): RuntimeConfigInput => ({
  settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
  listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
  subscriptions: [
    {
      name: 'signups',
      subscribe: 'type = "identify"',
      partnerAction: 'upsertContact',
      mapping: {
        listId: 12345,
        subscriptionState: 'Subscribed',
        bulk_import: 'add_and_update',
        bulk_min_contacts: 2,
        enable_batching: true
      }
    }
  ],
  delivery: { batchSize: events, flushIntervalMs: 10_000 },
  imports: { firstPollMs: 50, maxPollMs: 200, ...imports }
})

const stats = async (url: string) =>
  (await (await fetch(`${url}/stats`)).json()) as { delivered: number; listImports: Record<string, number> }

describe('list imports followed up', () => {
  let sandbox: Sandbox
  beforeEach(async () => {
    sandbox = await startSandbox()
  })
  afterEach(async () => {
    await sandbox.stop()
  })

  it('dead-letters exactly the events of the addresses Listrak refused, named, and keeps no follow-up', async () => {
    const h = await startTestRuntime(config(sandbox, 4))
    try {
      const emails = ['jane@example.com', 'banned@example.com', 'john@example.com', 'Suppressed@Example.com']
      await h.post('/v1/batch', { batch: emails.map(signup) })
      const letters = await h.waitForDeadLetters(2, 15_000)
      const [imported] = (await (await fetch(`${sandbox.url}/_sandbox/list-imports`)).json()).data as {
        importFileId: number
      }[]
      const id = imported.importFileId
      expect(letters.map((l) => [l.messageId, l.status, l.reason, l.listId]).sort()).toEqual([
        [
          'signup-Suppressed@Example.com',
          400,
          `Listrak refused Suppressed@Example.com in list import ${id} on list 12345: Suppressed`,
          12345
        ],
        [
          'signup-banned@example.com',
          400,
          `Listrak refused banned@example.com in list import ${id} on list 12345: Banned`,
          12345
        ]
      ])
      const counts = await waitFor(
        'the import counted',
        () => stats(h.runtime.url),
        (s) => s.listImports.completed === 1,
        { timeoutMs: 15_000 }
      )
      expect(counts.delivered).toBe(4)
      expect(counts.listImports).toEqual({
        following: 0,
        followed: 1,
        completed: 1,
        refusedRows: 2,
        timedOut: 0,
        notFound: 0,
        failed: 0,
        unknownRows: 0
      })
      expect(await h.runtime.queue.imports.following()).toEqual([])
      const [finished] = await waitFor(
        'the report',
        () => h.runtime.queue.imports.finished(),
        (f) => f.length === 1
      )
      expect(finished).toMatchObject({ importFileId: String(id), outcome: 'completed', rows: 4, refused: 2 })
    } finally {
      await h.runtime.stop()
    }
  })

  it('on Redis, keeps the follow-up in Redis and follows it to the end as well', async () => {
    const redis = await startRedisServer()
    try {
      const h = await startTestRuntime({ ...config(sandbox, 3), queue: { redis: { url: redis.url } } })
      try {
        await h.post('/v1/batch', { batch: ['a@example.com', 'b@example.com', 'banned@example.com'].map(signup) })
        const counts = await waitFor(
          'the import followed to its end',
          () => stats(h.runtime.url),
          (s) => s.listImports.completed === 1,
          { timeoutMs: 15_000 }
        )
        expect(counts.listImports).toMatchObject({ followed: 1, refusedRows: 1, following: 0 })
        const letters = []
        for await (const letter of (h.runtime.queue as RedisQueue).deadLetters()) letters.push(letter)
        expect(letters.map((l) => [l.messageId, l.status])).toEqual([['signup-banned@example.com', 400]])
        expect(letters[0].reason).toMatch(
          /^Listrak refused banned@example\.com in list import \d+ on list 12345: Banned$/
        )
        expect(await h.runtime.queue.imports.following()).toEqual([])
      } finally {
        await h.runtime.stop()
      }
    } finally {
      await redis.stop()
    }
  })

  it('follows a slow import (listImportDelayMs) with backoff until it completes', async () => {
    // Long enough that the import is still queued when its delivery is recorded, however busy the machine.
    sandbox.state.faults.set({ listImportDelayMs: 3000 })
    const h = await startTestRuntime(config(sandbox, 2))
    try {
      await h.post('/v1/batch', { batch: ['a@example.com', 'banned@example.com'].map(signup) })
      await waitFor(
        'an import followed',
        () => h.runtime.queue.imports.following(),
        (f) => f.length === 1
      )
      const [letter] = await h.waitForDeadLetters(1, 15_000)
      expect(letter.reason).toMatch(/^Listrak refused banned@example\.com in list import \d+ on list 12345: Banned$/)
      // The letter and the report are one transaction; the runtime's own reads see it once its commit resolved.
      const [finished] = await waitFor(
        'the report',
        () => h.runtime.queue.imports.finished(),
        (f) => f.length === 1
      )
      expect(finished).toMatchObject({ outcome: 'completed', status: 'Completed', rows: 2, refused: 1 })
      expect(await h.runtime.queue.imports.following()).toEqual([])
      // Polled Queued at least once before it completed: it was followed, not read once.
      const statusReads = sandbox.state.requests
        .toJSON()
        .data.filter((r: { path: string }) => r.path.endsWith('/Status'))
      expect(statusReads.length).toBeGreaterThanOrEqual(2)
    } finally {
      await h.runtime.stop()
    }
  })

  it('reports an import not completed within imports.followUpMaxMs as never completed: every event dead-lettered', async () => {
    sandbox.state.faults.set({ listImportDelayMs: 60_000 })
    const h = await startTestRuntime(config(sandbox, 2, { followUpMaxMs: 600 }))
    try {
      await h.post('/v1/batch', { batch: ['a@example.com', 'b@example.com'].map(signup) })
      const letters = await h.waitForDeadLetters(2, 15_000)
      expect(letters.map((l) => l.status)).toEqual([504, 504])
      expect(letters[0].reason).toMatch(
        /^List import \d+ on list 12345 did not complete within imports\.followUpMaxMs \(600 ms; Listrak's last status: Queued\): whether Listrak took this address is unknown/
      )
      expect((await stats(h.runtime.url)).listImports).toMatchObject({ timedOut: 1, unknownRows: 2, completed: 0 })
    } finally {
      await h.runtime.stop()
    }
  })
})
