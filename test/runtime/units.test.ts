import { parseConfig } from '../../runtime/config'
import { parseEvent } from '../../runtime/ingest/events'
import { compileSubscriptions } from '../../runtime/pipeline/subscriptions'
import { TokenCache } from '../../runtime/pipeline/tokens'
import { outputWidth, wrap } from '../../runtime/commands/wrap'
import { WriteHealth } from '../../runtime/pipeline/write-health'

const subscription = {
  name: 'a',
  subscribe: 'context.personas.computation_key = "my_audience"',
  partnerAction: 'updateEmailContactProfileFields',
  mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
}

describe('runtime config', () => {
  it('fills defaults and takes credentials from the environment', () => {
    const config = parseConfig({ subscriptions: [subscription] }, 'config', {
      LISTRAK_CLIENT_ID: 'id',
      LISTRAK_CLIENT_SECRET: 'secret'
    })
    expect(config.settings).toEqual({ client_id: 'id', client_secret: 'secret' })
    expect(config.ingest).toMatchObject({ host: '127.0.0.1', port: 3000, maxBodyBytes: 512000, maxEventBytes: 32768 })
    expect(config.delivery).toMatchObject({ batchSize: 1000, flushIntervalMs: 1000, maxAttempts: 5 })
  })

  it('names the path of every bad key', () => {
    expect(() =>
      parseConfig(
        { subscriptions: [{ ...subscription, partnerAction: 'x' }], delivery: { batchSize: 0, typo: 1 } },
        'c',
        {}
      )
    ).toThrow(/subscriptions\.0\.partnerAction: .*\n.*delivery\.batchSize: .*\n.*delivery: Unrecognized key: "typo"/)
  })

  it('wants both credentials or neither', () => {
    expect(() => parseConfig({ subscriptions: [subscription] }, 'c', { LISTRAK_CLIENT_ID: 'id' })).toThrow(
      'go together'
    )
  })

  it('refuses FQL that does not parse, naming the subscription', () => {
    const config = parseConfig(
      { subscriptions: [subscription, { ...subscription, name: 'b', subscribe: 'type = = "x' }] },
      'c',
      {}
    )
    expect(() => compileSubscriptions(config)).toThrow(/subscriptions\.1\.subscribe/)
  })

  it.each(['type = ', 'event = "a" and', '(type = "track"'])(
    'refuses the incomplete FQL %j, which the matcher would read as matching nothing',
    (subscribe) => {
      const config = parseConfig({ subscriptions: [{ ...subscription, subscribe }] }, 'c', {})
      expect(() => compileSubscriptions(config)).toThrow(
        `subscriptions.0.subscribe: ${JSON.stringify(subscribe)} is not valid FQL`
      )
    }
  )

  it('merges the action field defaults under each mapping and leaves disabled subscriptions out', () => {
    const config = parseConfig(
      { subscriptions: [subscription, { ...subscription, name: 'off', enabled: false }] },
      'c',
      {}
    )
    const [compiled, ...rest] = compileSubscriptions(config)
    expect(rest).toEqual([])
    expect(compiled).toMatchObject({ batching: true, batchSize: 1000 })
    expect(compiled.mapping).toMatchObject({
      listId: 12345,
      segment_audience_key: { '@path': '$.context.personas.computation_key' },
      enable_batching: true
    })
    expect(
      compiled.matches({ type: 'track', context: { personas: { computation_key: 'my_audience' } } } as never)
    ).toBe(true)
    expect(compiled.matches({ type: 'track', context: { personas: { computation_key: 'other' } } } as never)).toBe(
      false
    )
  })
})

describe('incoming events', () => {
  it('adds messageId and receivedAt, and takes the type from the endpoint', () => {
    const parsed = parseEvent({ userId: 'u', event: 'Audience Entered' }, 32768, 'track')
    expect(parsed).toEqual({
      ok: true,
      event: {
        userId: 'u',
        event: 'Audience Entered',
        type: 'track',
        messageId: expect.any(String),
        receivedAt: expect.any(String)
      }
    })
  })

  it.each([
    [{ type: 'track', userId: 'u' }, 'event:'],
    [{ type: 'identify' }, 'userId or anonymousId is required'],
    [{ type: 'group', userId: 'u' }, 'groupId'],
    [{ type: 'alias', userId: 'u' }, 'previousId'],
    [{ type: 'shout', userId: 'u' }, 'type'],
    [{ type: 'identify', userId: 'u', traits: [] }, 'traits'],
    ['not an object', 'must be a JSON object'],
    [{ type: 'identify', userId: 'u', traits: { blob: 'x'.repeat(40_000) } }, 'the limit is 32768 bytes']
  ])('refuses %j with a reason', (input, reason) => {
    const parsed = parseEvent(input, 32768)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toContain(reason)
  })
})

describe('TokenCache', () => {
  it('fetches once for concurrent callers and reuses the token until shortly before it expires', async () => {
    let now = 0
    let n = 0
    const fetchToken = jest.fn(async () => ({ accessToken: `t${++n}`, expiresIn: 100 }))
    const cache = new TokenCache(fetchToken, () => now)
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(['t1', 't1', 't1'])
    now = 89_000
    expect(await cache.get()).toBe('t1')
    now = 91_000
    expect(await cache.get()).toBe('t2')
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it('fetches a new token after the current one was refused, and takes tokens actions-core fetched', async () => {
    let n = 0
    const cache = new TokenCache(async () => ({ accessToken: `t${++n}` }))
    expect(await cache.get()).toBe('t1')
    cache.invalidate('t0')
    expect(await cache.get()).toBe('t1')
    cache.invalidate('t1')
    expect(await cache.get()).toBe('t2')
    cache.accept({ accessToken: 'from-core', expiresIn: 3600 })
    expect(await cache.get()).toBe('from-core')
  })

  it('lets the next caller try again after a failed fetch', async () => {
    let fail = true
    const cache = new TokenCache(async () => {
      if (fail) throw new Error('down')
      return { accessToken: 'ok' }
    })
    await expect(cache.get()).rejects.toThrow('down')
    fail = false
    expect(await cache.get()).toBe('ok')
  })
})

describe('text laid out for a terminal', () => {
  it('takes the terminal width, or 100 columns when the output is not a terminal', () => {
    expect(outputWidth({ isTTY: true, columns: 72 } as NodeJS.WriteStream)).toBe(72)
    expect(outputWidth({ isTTY: false } as NodeJS.WriteStream)).toBe(100)
  })

  it('wraps between words to the width, keeping every word', () => {
    const text = 'field 6790 takes "on" or "off", not "maybe"; field 7004 takes a date, not "1979-02-30".'
    const lines = wrap(text, 30)
    expect(lines).toEqual([
      'field 6790 takes "on" or',
      '"off", not "maybe"; field 7004',
      'takes a date, not',
      '"1979-02-30".'
    ])
    expect(lines.join(' ')).toBe(text)
  })
})

describe('WriteHealth', () => {
  afterEach(() => jest.useRealTimers())

  it('reports a failed write for 5 s, or until a write succeeds', () => {
    jest.useFakeTimers({ now: 1_000_000 })
    const writes = new WriteHealth()
    expect(writes.problem()).toBeUndefined()
    writes.failed(new Error('disk full'))
    jest.setSystemTime(1_000_000 + 4200)
    expect(writes.problem()).toBe("the queue's last write failed 4.2 s ago: disk full")
    jest.setSystemTime(1_000_000 + 4999)
    expect(writes.problem()).toMatch(/ago: disk full$/)
    jest.setSystemTime(1_000_000 + 5000)
    expect(writes.problem()).toBeUndefined()

    writes.failed(new Error('disk full'))
    writes.succeeded()
    expect(writes.problem()).toBeUndefined()
  })
})
