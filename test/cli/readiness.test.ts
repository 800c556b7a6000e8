import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { startRedisServer, RedisServer } from '../redis-server'
import { waitFor } from '../wait'
import { exited, startCli } from './process'

/**
 * `serve`'s probes as an orchestrator or a load balancer sees them: /health (liveness) stays 200 while the process
 * serves; /health/ready (readiness) answers 503, with the reason, while ingest would answer 503 too.
 */

const root = path.join(__dirname, '..', '..')
const example = JSON.parse(readFileSync(path.join(root, 'examples', 'config.json'), 'utf8'))
const event = readFileSync(path.join(root, 'examples', 'events', 'track-audience.ndjson'), 'utf8').split('\n')[0]

function configIn(extra: Record<string, unknown>): { cwd: string; file: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'readiness-'))
  const file = path.join(cwd, 'config.json')
  writeFileSync(file, JSON.stringify({ ...example, ...extra }))
  return { cwd, file }
}

async function serve(args: string[], cwd: string) {
  const started = await startCli(['serve', ...args, '--port', '0', '--sandbox-port', '0', '--no-check'], /^Stats:/m, {
    cwd
  })
  return { ...started, url: /listening on (http:\/\/\S+)/.exec(started.output())?.[1] as string }
}

const probe = async (url: string) => {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/track`, { method: 'POST', headers, body: event }).then((response) => response.status)

describe('serve on the durable store', () => {
  it('answers both probes without the write key; ready is 503 while the delivery queue is full, live stays 200', async () => {
    const writeKey = 'wk-readiness'
    const { cwd, file } = configIn({
      ingest: { writeKey },
      // Nothing is sent before the stop, so the two events keep the queue at its bound.
      delivery: { maxQueue: 2, flushIntervalMs: 60_000 }
    })
    const runtime = await serve(['--config', file], cwd)
    const authorization = { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` }
    try {
      expect(await probe(`${runtime.url}/health/ready`)).toEqual({
        status: 200,
        body: { status: 'ready', queueDepth: 0 }
      })
      expect(await post(runtime.url, authorization)).toBe(200)
      expect(await post(runtime.url, authorization)).toBe(200)

      expect(await probe(`${runtime.url}/health/ready`)).toEqual({
        status: 503,
        body: {
          status: 'not ready',
          reason: 'the delivery queue is full (2 events; delivery.maxQueue is 2)',
          queueDepth: 2
        }
      })
      expect(await post(runtime.url, authorization)).toBe(503)
      expect(await probe(`${runtime.url}/health`)).toEqual({ status: 200, body: { status: 'ok', queueDepth: 2 } })
      expect((await fetch(`${runtime.url}/stats`)).status).toBe(401)
    } finally {
      runtime.child.kill('SIGTERM')
    }
    expect(await exited(runtime.child)).toEqual([0, null])
    expect(runtime.output()).toContain('Stopped. accepted 2, matched 2, delivered 2')
  })
})

describe('serve on Redis', () => {
  let redis: RedisServer | undefined
  afterEach(async () => {
    await redis?.stop()
    redis = undefined
  })

  it('is not ready while Redis is down, with live still 200, and ready again 5 s after the last failed write', async () => {
    redis = await startRedisServer({ aof: true })
    const { cwd, file } = configIn({})
    const runtime = await serve(['--config', file, '--redis', redis.url], cwd)
    try {
      expect((await probe(`${runtime.url}/health/ready`)).status).toBe(200)

      await redis.kill()
      const down = await waitFor(
        'readiness to see Redis down',
        () => probe(`${runtime.url}/health/ready`),
        (answer) => answer.status === 503
      )
      // ioredis tries again and again: between tries it is reconnecting, during one connecting.
      const notConnected = new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${redis.port} is not connected \\((re)?connecting\\)$`
      )
      expect(down.body).toEqual({ status: 'not ready', reason: expect.stringMatching(notConnected), queueDepth: 0 })
      expect(await probe(`${runtime.url}/health`)).toEqual({ status: 200, body: { status: 'ok', queueDepth: 0 } })
      const beforeFailure = Date.now()
      expect(await post(runtime.url)).toBe(503)

      await redis.restart()
      // Redis is back, but nothing has been written since the failure: the failure holds readiness for 5 s.
      const reconnected = await waitFor(
        'the runtime to reconnect to Redis',
        () => probe(`${runtime.url}/health/ready`),
        (answer) => !String(answer.body.reason).includes('is not connected')
      )
      expect(reconnected).toEqual({
        status: 503,
        body: {
          status: 'not ready',
          reason: expect.stringMatching(/^the queue's last write failed \d\.\d s ago: The queue store could not store/),
          queueDepth: 0
        }
      })
      await waitFor(
        'readiness once the failure is 5 s old',
        () => probe(`${runtime.url}/health/ready`),
        (answer) => answer.status === 200,
        { timeoutMs: 10_000 }
      )
      expect(Date.now() - beforeFailure).toBeGreaterThanOrEqual(5000)
      expect(await post(runtime.url)).toBe(200)
    } finally {
      runtime.child.kill('SIGTERM')
    }
    expect(await exited(runtime.child)).toEqual([0, null])
  })
})
