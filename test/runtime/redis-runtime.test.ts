import { mkdtempSync, readFileSync, rmSync } from 'fs'
import os from 'os'
import path from 'path'
import { parseConfig } from '../../runtime/config'
import { exportDeadLetters, listDeadLetters, purgeDeadLetters } from '../../runtime/commands/dead-letters'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { startRedisServer, RedisServer } from '../redis-server'
import { configFile, sandboxContacts, startTestRuntime } from './harness'

/**
 * The runtime on the Redis queue (`queue.redis`), in process, against a real redis-server: HTTP in, the sandbox's
 * state out, the dead letters in Redis. Several processes sharing it are the kill test's part.
 */

type Harness = Awaited<ReturnType<typeof startTestRuntime>>
let h: Harness | undefined
let server: RedisServer

afterEach(async () => {
  await h?.runtime.stop()
  h = undefined
})

let prefixes = 0
/** Each test its own keys: no test sees another's events. */
const redis = (options: { pollMs?: number } = {}) => ({
  url: server.url,
  keyPrefix: `{runtime-test-${++prefixes}}`,
  partitions: 4,
  pollMs: 20,
  ...options
})
const fast = { flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 }

describe('runtime on the Redis queue', () => {
  beforeAll(async () => {
    server = await startRedisServer({ aof: true })
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('delivers what it accepts over HTTP to the sandbox', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), delivery: fast, queue: { redis: redis() } })
    expect(h.runtime.queue.shared).toBe(true)
    expect(h.runtime.queue.location).toMatch(/^redis:\/\/127\.0\.0\.1:\d+ \(keys \{runtime-test-\d+\}:\*\)$/)
    const sandbox = h.runtime.sandbox?.url as string
    expect((await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))).status).toBe(200)
    await h.post('/v1/identify', audienceIdentify('ana@example.com', 'my_audience', true))
    await h.post('/v1/batch', {
      batch: [
        audienceTrack('john@example.com', 'my_audience', true),
        audienceIdentify('ana@example.com', 'my_audience', false)
      ]
    })
    await h.settled(4)
    expect(await sandboxContacts(sandbox)).toEqual({
      'jane@example.com': { '6789': 'on' },
      'ana@example.com': { '6789': 'off' },
      'john@example.com': { '6789': 'on' }
    })
  })

  it('keeps the dead letters in Redis, where dead-letters list and export read them', async () => {
    h = await startTestRuntime({
      delivery: fast,
      queue: { redis: redis() },
      subscriptions: [
        {
          name: 'bad field',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '8801': 'on' } }
        }
      ]
    })
    await h.post('/v1/track', { ...audienceTrack('jane@example.com', 'my_audience', true), messageId: 'm-jane' })
    expect(await h.settled(1)).toMatchObject({ refused: 1, deadLettered: 1, delivered: 0 })
    const listed = await listDeadLetters(h.config)
    expect(listed).toMatch(/^1 dead letter\(s\) in redis:\/\/127\.0\.0\.1:\d+ \(keys .*\), by reason:/)
    expect(listed).toContain('list 12345 has no profile field 8801')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dead-'))
    try {
      const out = path.join(dir, 'dead.ndjson')
      expect(await exportDeadLetters(h.config, {}, out)).toBe(1)
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ messageId: 'm-jane', status: 400 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    await expect(purgeDeadLetters(h.config, {})).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^dead-letters purge is not available for a queue in Redis/)
    })
  })

  it('delivers everything it accepted when stopped during load', async () => {
    h = await startTestRuntime({
      ...configFile('config.json'),
      delivery: { flushIntervalMs: 60_000, batchSize: 50 },
      // Polls rarely: the stop must read what is queued by itself.
      queue: { redis: redis({ pollMs: 60_000 }) }
    })
    await Promise.all(
      Array.from({ length: 10 }, (_, b) =>
        h!.post('/v1/batch', {
          batch: Array.from({ length: 13 }, (_, i) => audienceTrack(`u${b}-${i}@example.com`, 'my_audience', true))
        })
      )
    )
    const { runtime } = h
    h = undefined
    const summary = await runtime.stop()
    expect(summary).toMatchObject({ accepted: 130, delivered: 130, deadLettered: 0, queueDepth: 0 })
    expect(runtime.sandbox?.state.contactsOf(12345)).toHaveLength(130)
  })
})

describe('the config of the Redis queue', () => {
  it('refuses queue.memory with queue.redis, and a URL that is not Redis', () => {
    const base = configFile('config.json')
    expect(() => parseConfig({ ...base, queue: { memory: true, redis: { url: 'redis://127.0.0.1' } } })).toThrow(
      /queue\.redis: queue\.memory and queue\.redis exclude each other/
    )
    expect(() => parseConfig({ ...base, queue: { redis: { url: 'http://127.0.0.1' } } })).toThrow(
      /queue\.redis\.url: expected a redis:\/\/ or rediss:\/\/ URL/
    )
  })
})
