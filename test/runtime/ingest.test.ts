import { once } from 'events'
import net from 'net'
import { deflateSync, gzipSync } from 'zlib'
import { audienceTrack } from '../engage-events'
import { configFile, sandboxContacts, startTestRuntime } from './harness'
import { basicUserName, exposureProblem, isLoopbackHost, writeKeyMatcher } from '../../runtime/ingest/write-key'
import { parseConfig } from '../../runtime/config'

/** Ingest as Segment's libraries send: compressed bodies, /v1/import, the write key; and what it refuses. */

type Harness = Awaited<ReturnType<typeof startTestRuntime>>
let h: Harness | undefined

afterEach(async () => {
  await h?.runtime.stop()
  h = undefined
})

const fast = { delivery: { flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 } }
const WRITE_KEY = 'wk_ingest'
const basic = (key = WRITE_KEY) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` })

/** POSTs raw bytes (fetch takes only ArrayBuffer-backed views). */
const postBytes = (route: string, bytes: Buffer, headers: Record<string, string>) =>
  fetch(`${h!.runtime.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: new Uint8Array(bytes)
  })

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

async function stats(harness: Harness, headers: Record<string, string> = {}) {
  return (await (await fetch(`${harness.runtime.url}/stats`, { headers })).json()) as Record<string, number>
}

/**
 * Opens a raw connection, writes `request`, and resolves with what came back and when the server closed it.
 * The client gives up by itself after `giveUpMs`, so a server that never closes fails the test instead of hanging it.
 */
async function rawRequest(url: string, request: string, giveUpMs = 5000) {
  const { port } = new URL(url)
  const socket = net.connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  const started = Date.now()
  let answer = ''
  let closedBy: 'server' | 'client' = 'server'
  socket.on('data', (chunk) => (answer += chunk))
  socket.on('error', () => undefined)
  const guard = setTimeout(() => {
    closedBy = 'client'
    socket.destroy()
  }, giveUpMs)
  const closed = new Promise((resolve) => socket.once('close', resolve))
  socket.write(request)
  await closed
  clearTimeout(guard)
  return { answer, closedAfterMs: Date.now() - started, closedBy }
}

describe('compressed bodies', () => {
  it('accepts gzip, deflate and identity bodies and delivers their events', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const jane = gzipSync(json(audienceTrack('jane@example.com', 'my_audience', true)))
    const gzipped = await postBytes('/v1/track', jane, { 'content-encoding': 'gzip' })
    expect([gzipped.status, await gzipped.json()]).toEqual([200, { success: true }])
    const deflated = await postBytes(
      '/v1/batch',
      deflateSync(json({ batch: [audienceTrack('john@example.com', 'my_audience', true)] })),
      { 'content-encoding': 'deflate' }
    )
    expect([deflated.status, await deflated.json()]).toEqual([200, { success: true, accepted: 1 }])
    const identity = await postBytes('/v1/track', json(audienceTrack('ana@example.com', 'my_audience', true)), {
      'content-encoding': 'identity'
    })
    expect(identity.status).toBe(200)
    await h.settled(3)
    expect(await sandboxContacts(h.runtime.sandbox?.url as string)).toEqual({
      'jane@example.com': { '6789': 'on' },
      'john@example.com': { '6789': 'on' },
      'ana@example.com': { '6789': 'on' }
    })
  })

  it('refuses a gzip bomb (100 MB of zeros in 100 KB) with 413, quickly, inflating no more than the limit', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    // Concatenated gzip members are one valid gzip stream: 100 × 1 MB of zeros, built without 100 MB in memory.
    const member = gzipSync(Buffer.alloc(1024 * 1024))
    const bomb = Buffer.concat(Array.from({ length: 100 }, () => member))
    expect(bomb.length).toBeLessThan(150_000)
    const rssBefore = process.memoryUsage().rss
    const started = performance.now()
    const response = await postBytes('/v1/batch', bomb, { 'content-encoding': 'gzip' })
    const elapsedMs = performance.now() - started
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({
      success: false,
      message: 'The request body is larger than 512000 bytes once decompressed.'
    })
    expect(elapsedMs).toBeLessThan(1000)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 * 1024)
    expect(await stats(h)).toMatchObject({ accepted: 0 })
    // The runtime goes on serving.
    expect(
      (await postBytes('/v1/track', json(audienceTrack('jane@example.com', 'my_audience', true)), {})).status
    ).toBe(200)
  })

  it('answers 400 for a body that is not valid gzip or deflate, and 415 for an unknown encoding', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const event = json(audienceTrack('jane@example.com', 'my_audience', true))
    const corrupt = await postBytes('/v1/track', Buffer.from('this is not gzip at all'), { 'content-encoding': 'gzip' })
    expect(corrupt.status).toBe(400)
    expect(((await corrupt.json()) as { message: string }).message).toMatch(/^The request body is not valid gzip data/)
    const truncated = gzipSync(event).subarray(0, 20)
    expect((await postBytes('/v1/track', truncated, { 'content-encoding': 'gzip' })).status).toBe(400)
    const notDeflate = await postBytes('/v1/batch', event, { 'content-encoding': 'deflate' })
    expect(notDeflate.status).toBe(400)
    expect(((await notDeflate.json()) as { message: string }).message).toMatch(/not valid deflate data/)
    expect((await postBytes('/v1/track', event, { 'content-encoding': 'constructor' })).status).toBe(415)
    const brotli = await postBytes('/v1/track', event, { 'content-encoding': 'br' })
    expect(brotli.status).toBe(415)
    expect(((await brotli.json()) as { message: string }).message).toMatch(/"br" is not supported.*gzip or deflate/)
    expect(await stats(h)).toMatchObject({ accepted: 0, invalid: 4 })
  })

  it('applies maxBodyBytes to the compressed body too', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast, ingest: { maxBodyBytes: 1000 } })
    const noise = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))
    const response = await postBytes('/v1/batch', gzipSync(noise, { level: 0 }), { 'content-encoding': 'gzip' })
    expect(response.status).toBe(413)
  })
})

describe('/v1/import', () => {
  it('takes a batch, as analytics-java sends it, and delivers it', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const response = await h.post('/v1/import', {
      batch: [audienceTrack('jane@example.com', 'my_audience', true), { type: 'track', userId: 'u' }]
    })
    expect(await response.json()).toEqual({
      success: true,
      accepted: 1,
      refused: [{ index: 1, reason: expect.stringContaining('event') }]
    })
    await h.settled(1)
    expect(await sandboxContacts(h.runtime.sandbox?.url as string)).toEqual({ 'jane@example.com': { '6789': 'on' } })
  })
})

describe('the write key', () => {
  beforeEach(async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast, ingest: { writeKey: WRITE_KEY } })
  })

  it.each([
    ['GET', '/stats'],
    ['GET', '/manifest'],
    ['POST', '/authenticate'],
    ['POST', '/refreshAccessToken'],
    ['POST', '/updateEmailContactProfileFields'],
    ['POST', '/updateEmailContactProfileFields/listId'],
    ['GET', '/no-such-route']
  ])('%s %s needs it in the Authorization header', async (method, route) => {
    const body = method === 'POST' ? JSON.stringify({ writeKey: WRITE_KEY }) : undefined
    const response = await fetch(`${h!.runtime.url}${route}`, { method, body })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ success: false, message: expect.stringContaining('HTTP Basic user name') })
    const wrong = await fetch(`${h!.runtime.url}${route}`, { method, body, headers: basic('nope') })
    expect(wrong.status).toBe(401)
  })

  it('opens /stats and /manifest with it, and leaves /health open to all', async () => {
    expect((await fetch(`${h!.runtime.url}/stats`, { headers: basic() })).status).toBe(200)
    expect((await fetch(`${h!.runtime.url}/manifest`, { headers: basic() })).status).toBe(200)
    expect((await fetch(`${h!.runtime.url}/health`)).status).toBe(200)
  })

  it('refuses before reading the body: a request that announces 1 MB and sends none is answered at once', async () => {
    const headers = `Host: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\nConnection: close\r\n`
    for (const request of [
      `POST /authenticate HTTP/1.1\r\n${headers}\r\n`,
      `POST /v1/track HTTP/1.1\r\n${headers}Authorization: ${basic('nope').authorization}\r\n\r\n`
    ]) {
      const { answer, closedBy } = await rawRequest(h!.runtime.url, request, 2000)
      expect(answer).toMatch(/^HTTP\/1\.1 401 /)
      expect(closedBy).toBe('server')
    }
  })

  it('takes writeKey in the body only when no Authorization header came', async () => {
    const event = audienceTrack('jane@example.com', 'my_audience', true)
    expect((await h!.post('/v1/track', { ...event, writeKey: WRITE_KEY })).status).toBe(200)
    expect((await h!.post('/v1/batch', { batch: [event], writeKey: WRITE_KEY })).status).toBe(200)
    expect((await h!.post('/v1/track', { ...event, writeKey: WRITE_KEY }, basic('nope'))).status).toBe(401)
    expect((await h!.post('/v1/track', { ...event, writeKey: 'nope' })).status).toBe(401)
    // A key inside a batch's events does not open the batch.
    expect((await h!.post('/v1/batch', { batch: [{ ...event, writeKey: WRITE_KEY }] })).status).toBe(401)
    expect(await stats(h!, basic())).toMatchObject({ accepted: 2 })
  })

  it('keeps writeKey out of what is queued, delivered and dead-lettered', async () => {
    await h!.runtime.stop()
    h = await startTestRuntime({
      ...fast,
      ingest: { writeKey: WRITE_KEY },
      subscriptions: [
        {
          name: 'refused by Listrak',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '8801': 'on' } }
        }
      ]
    })
    const accepted: unknown[] = []
    const accept = h.runtime.pipeline.accept.bind(h.runtime.pipeline)
    jest.spyOn(h.runtime.pipeline, 'accept').mockImplementation((event) => {
      accepted.push(structuredClone(event))
      return accept(event)
    })
    const event = audienceTrack('jane@example.com', 'my_audience', true)
    expect((await h.post('/v1/track', { ...event, writeKey: WRITE_KEY })).status).toBe(200)
    const batch = { batch: [{ ...audienceTrack('john@example.com', 'my_audience', true), writeKey: WRITE_KEY }] }
    expect((await h.post('/v1/batch', { ...batch, writeKey: WRITE_KEY })).status).toBe(200)
    expect((await h.post('/v1/import', batch, basic())).status).toBe(200)
    const letters = await h.waitForDeadLetters(3)
    expect(accepted).toHaveLength(3)
    expect(JSON.stringify(accepted)).not.toContain(WRITE_KEY)
    expect(JSON.stringify(letters)).not.toContain(WRITE_KEY)
    expect(letters.map((l) => l.event.userId).sort()).toEqual([
      'user-jane@example.com',
      'user-john@example.com',
      'user-john@example.com'
    ])
  })
})

describe('stats.invalid', () => {
  it('counts refused single events: bad JSON, an invalid event, a bad encoding', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    expect((await h.post('/v1/track', '{"event": ')).status).toBe(400)
    expect((await h.post('/v1/track', { userId: 'u' })).status).toBe(400)
    expect((await h.post('/v1/identify', {})).status).toBe(400)
    expect((await postBytes('/v1/page', Buffer.from('{}'), { 'content-encoding': 'gzip' })).status).toBe(400)
    expect(await stats(h)).toMatchObject({ invalid: 4, accepted: 0 })
  })
})

describe('when the pipeline takes no more', () => {
  it('answers 503 with Retry-After, and says how much of a batch it took', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const accept = h.runtime.pipeline.accept.bind(h.runtime.pipeline)
    let left = 1
    const refuseAfterOne = async (event: Parameters<typeof accept>[0]) => {
      if (left-- > 0) return accept(event)
      throw new Error('The pipeline is shutting down and takes no more events.')
    }
    // Rejects, as the durable pipeline's accept does when it takes no more.
    jest.spyOn(h.runtime.pipeline, 'accept').mockImplementation(refuseAfterOne as never)
    const event = audienceTrack('jane@example.com', 'my_audience', true)
    const batch = await h.post('/v1/batch', { batch: [event, event] })
    expect(batch.status).toBe(503)
    expect(batch.headers.get('retry-after')).toBe('1')
    expect(await batch.json()).toMatchObject({ success: false, accepted: 1 })
    const single = await h.post('/v1/track', event)
    expect(single.status).toBe(503)
    expect(single.headers.get('retry-after')).toBe('1')
    expect(await single.json()).toEqual({
      success: false,
      message: expect.stringContaining('The pipeline is shutting down')
    })
  })
})

describe('timeouts', () => {
  const timeouts = { ingest: { requestTimeoutMs: 300, keepAliveTimeoutMs: 200 } }

  it('closes a connection whose body never completes, within the request timeout', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast, ...timeouts })
    const { answer, closedAfterMs, closedBy } = await rawRequest(
      h.runtime.url,
      'POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":'
    )
    expect(closedBy).toBe('server')
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeGreaterThanOrEqual(250)
    expect(closedAfterMs).toBeLessThan(300 + 500)
  })

  it('closes a connection that trickles its headers, and an idle keep-alive connection', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast, ...timeouts })
    const { port } = new URL(h.runtime.url)
    const socket = net.connect(Number(port), '127.0.0.1')
    socket.on('error', () => undefined)
    const started = Date.now()
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 50)
    const guard = setTimeout(() => socket.destroy(), 5000)
    try {
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n')
      await new Promise((resolve) => socket.once('close', resolve))
    } finally {
      clearInterval(trickle)
      clearTimeout(guard)
      socket.destroy()
    }
    const trickledMs = Date.now() - started
    expect(trickledMs).toBeLessThan(300 + 500)

    const { answer, closedAfterMs, closedBy } = await rawRequest(
      h.runtime.url,
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'
    )
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(closedBy).toBe('server')
    // Node keeps the socket a second past the Keep-Alive timeout it announces, so that clients close first.
    expect(closedAfterMs).toBeGreaterThanOrEqual(200)
    expect(closedAfterMs).toBeLessThan(200 + 1000 + 500)
  })

  it('defaults to 10 s for a request and 5 s for an idle keep-alive connection', () => {
    const config = parseConfig(configFile('config.json'), 'test config', {})
    expect(config.ingest).toMatchObject({ requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 })
  })
})

describe('the write key helpers', () => {
  it('compares keys in constant time over digests, and reads the Basic user name', () => {
    const matches = writeKeyMatcher(WRITE_KEY)
    expect([matches(WRITE_KEY), matches('wk_ingesT'), matches(''), matches(`${WRITE_KEY}x`), matches(42)]).toEqual([
      true,
      false,
      false,
      false,
      false
    ])
    expect(basicUserName(basic().authorization)).toBe(WRITE_KEY)
    expect(basicUserName(`Basic ${Buffer.from(WRITE_KEY).toString('base64')}`)).toBe(WRITE_KEY)
    expect(basicUserName(`Bearer ${WRITE_KEY}`)).toBeUndefined()
  })

  it('needs a write key, or allowUnauthenticated, on an address other machines can reach', () => {
    const ingest = (host: string, extra: { writeKey?: string; allowUnauthenticated?: boolean } = {}) => ({
      host,
      ...extra
    })
    for (const host of ['127.0.0.1', '127.0.0.53', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect([host, isLoopbackHost(host)]).toEqual([host, true])
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '128.0.0.1']) {
      expect([host, isLoopbackHost(host)]).toEqual([host, false])
    }
    expect(exposureProblem(ingest('0.0.0.0'))).toMatch(/^Refusing to serve on 0\.0\.0\.0 without a write key/)
    expect(exposureProblem(ingest('0.0.0.0', { writeKey: 'k' }))).toBeUndefined()
    expect(exposureProblem(ingest('0.0.0.0', { allowUnauthenticated: true }))).toBeUndefined()
    expect(exposureProblem(ingest('127.0.0.1'))).toBeUndefined()
    const open = parseConfig(
      { ...configFile('config.json'), ingest: { host: '::', allowUnauthenticated: true } },
      'c',
      {}
    )
    expect(exposureProblem(open.ingest)).toBeUndefined()
  })
})

describe('serving others', () => {
  it('refuses to start on an address other machines can reach without a write key, before it listens', async () => {
    await expect(startTestRuntime({ ...configFile('config.json'), ingest: { host: '0.0.0.0' } })).rejects.toThrow(
      /^Refusing to serve on 0\.0\.0\.0 without a write key: .*--allow-unauthenticated/
    )
  })
})
