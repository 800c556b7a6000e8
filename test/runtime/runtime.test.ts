import { audienceIdentify, audienceTrack } from '../engage-events'
import { configFile, sandboxContacts, startTestRuntime } from './harness'
import { listFieldCache } from '../../src/profile-fields/definitions'

type Harness = Awaited<ReturnType<typeof startTestRuntime>>
let h: Harness | undefined

afterEach(async () => {
  await h?.runtime.stop()
  h = undefined
})

const fast = { delivery: { flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 } }

describe('runtime end to end (HTTP ingest → actions-core → sandbox)', () => {
  it('delivers Engage track and identify audience events with the single useAudienceKey mapping', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const sandbox = h.runtime.sandbox?.url as string
    expect(await (await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))).json()).toEqual({
      success: true
    })
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

  it("delivers unchecked, and logs once, when a list's profile fields cannot be read", async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    const sandbox = h.runtime.sandbox?.url as string
    await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))
    await h.settled(1)
    // The next read of the list's fields fails once; the imports do not.
    listFieldCache.clear()
    await fetch(`${sandbox}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ failNext: { count: 1, status: 503 } })
    })
    await h.post('/v1/track', audienceTrack('john@example.com', 'my_audience', true))
    await h.settled(2)
    await h.post('/v1/track', audienceTrack('ana@example.com', 'my_audience', false))
    const stats = await h.settled(3)
    expect(stats).toMatchObject({ delivered: 3, deadLettered: 0 })
    const warnings = h.logs.filter((line) => line.includes('sent without the check against their field types'))
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0])).toMatchObject({
      level: 40,
      from: 'destination',
      msg: expect.stringContaining('HTTP 503')
    })
  })

  it('delivers with the two-mapping config: Entered on, Exited off', async () => {
    h = await startTestRuntime({ ...configFile('config.two-mappings.json'), ...fast })
    await h.post('/v1/batch', {
      batch: [
        audienceTrack('jane@example.com', 'my_audience', true),
        audienceTrack('john@example.com', 'my_audience', true)
      ]
    })
    await h.settled(2)
    await h.post('/v1/track', audienceTrack('john@example.com', 'my_audience', false))
    const stats = await h.settled(3)
    expect(await sandboxContacts(h.runtime.sandbox?.url as string)).toEqual({
      'jane@example.com': { '6789': 'on' },
      'john@example.com': { '6789': 'off' }
    })
    expect(stats).toMatchObject({ accepted: 3, matched: 3, delivered: 3 })
    expect(stats.perSubscription).toMatchObject({
      'my_audience entered → on': { matched: 2, delivered: 2 },
      'my_audience exited → off': { matched: 1, delivered: 1 }
    })
    expect(stats.importsPerList).toEqual({ '12345': 2 })
  })

  it('dead-letters events Listrak refuses, with the reason', async () => {
    h = await startTestRuntime({
      ...fast,
      subscriptions: [
        {
          name: 'bad field',
          subscribe: 'type = "track"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '8801': 'on' } }
        }
      ]
    })
    await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))
    const stats = await h.settled(1)
    expect(stats).toMatchObject({ refused: 1, deadLettered: 1, delivered: 0 })
    const [letter] = await h.waitForDeadLetters(1)
    expect(letter).toMatchObject({ status: 400, reason: 'Profile Field Values: list 12345 has no profile field 8801.' })
    expect(letter.event).toMatchObject({ event: 'Audience Entered', userId: 'user-jane@example.com' })
  })

  it('logs one line per delivery with list, events, statuses and duration', async () => {
    h = await startTestRuntime({ ...configFile('config.json'), ...fast })
    await h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))
    await h.settled(1)
    const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'delivery')
    expect(line).toMatchObject({ listId: '12345', events: 1, statuses: { '201': 1 }, durationMs: expect.any(Number) })
  })
})

describe('ingest answers', () => {
  beforeEach(async () => {
    h = await startTestRuntime({
      ...configFile('config.json'),
      ...fast,
      ingest: { writeKey: 'wk_123', maxBodyBytes: 50_000 }
    })
  })
  const basic = { authorization: `Basic ${Buffer.from('wk_123:').toString('base64')}` }

  it('401 without the write key, 200 with it (Basic or in the body)', async () => {
    const event = audienceTrack('jane@example.com', 'my_audience', true)
    expect((await h!.post('/v1/track', event)).status).toBe(401)
    expect(
      (await h!.post('/v1/track', event, { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` })).status
    ).toBe(401)
    expect((await h!.post('/v1/track', event, basic)).status).toBe(200)
    expect((await h!.post('/v1/track', { ...event, writeKey: 'wk_123' })).status).toBe(200)
  })

  it('400 with the parse error for bad JSON', async () => {
    const response = await h!.post('/v1/track', '{"event": ', basic)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toMatch(/^Invalid JSON: /)
  })

  it('400 with the reason for an invalid event, 413 for a body over the limit', async () => {
    const missing = await h!.post('/v1/track', { userId: 'u' }, basic)
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ success: false, message: expect.stringContaining('event') })
    const huge = await h!.post('/v1/batch', { batch: [{ blob: 'x'.repeat(60_000) }] }, basic)
    expect(huge.status).toBe(413)
  })

  it('refuses a bad event in a batch on its own, with its index, and accepts the others', async () => {
    const response = await h!.post(
      '/v1/batch',
      {
        batch: [
          audienceTrack('jane@example.com', 'my_audience', true),
          { type: 'track', userId: 'u' },
          { type: 'identify', userId: 'u', traits: { blob: 'x'.repeat(33_000) } }
        ]
      },
      basic
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      success: true,
      accepted: 1,
      refused: [
        { index: 1, reason: expect.stringContaining('event') },
        { index: 2, reason: expect.stringContaining('the limit is 32768 bytes') }
      ]
    })
  })

  it('404 for an unknown route', async () => {
    expect((await h!.post('/v1/nothing', {}, basic)).status).toBe(404)
  })

  it('answers /health', async () => {
    expect(await (await fetch(`${h!.runtime.url}/health`)).json()).toEqual({ status: 'ok', queueDepth: 0 })
  })
})

describe('back pressure and shutdown', () => {
  it('answers 503 with Retry-After when the queue is full', async () => {
    h = await startTestRuntime({
      ...configFile('config.json'),
      delivery: { maxQueue: 2, flushIntervalMs: 60_000, batchSize: 100 }
    })
    const event = audienceTrack('jane@example.com', 'my_audience', true)
    expect((await h.post('/v1/track', event)).status).toBe(200)
    expect((await h.post('/v1/track', event)).status).toBe(200)
    const full = await h.post('/v1/track', event)
    expect(full.status).toBe(503)
    expect(full.headers.get('retry-after')).toBe('1')
    expect((await h.post('/v1/batch', { batch: [event] })).status).toBe(503)
  })

  it('delivers everything it accepted when stopped during load', async () => {
    h = await startTestRuntime({
      ...configFile('config.json'),
      delivery: { flushIntervalMs: 60_000, batchSize: 50 }
    })
    const posts = Array.from({ length: 10 }, (_, b) =>
      h!.post('/v1/batch', {
        batch: Array.from({ length: 13 }, (_, i) => audienceTrack(`u${b}-${i}@example.com`, 'my_audience', true))
      })
    )
    await Promise.all(posts)
    // 130 accepted; at most two full batches of 50 have gone, the rest waits for a flush interval of a minute.
    const { runtime } = h
    h = undefined
    const summary = await runtime.stop()
    expect(summary).toMatchObject({ accepted: 130, delivered: 130, deadLettered: 0, queueDepth: 0 })
    // The sandbox's state outlives its server: every contact arrived.
    expect(runtime.sandbox?.state.contactsOf(12345)).toHaveLength(130)
  })
})
