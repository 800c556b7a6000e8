import { audienceTrack } from '../engage-events'
import { configFile, sandboxContacts, startTestRuntime } from '../runtime/harness'

/** Malformed Segment requests: each gets a clear answer, the runtime keeps running, and good events are untouched. */

let h: Awaited<ReturnType<typeof startTestRuntime>>
beforeAll(async () => {
  h = await startTestRuntime({
    ...configFile('config.json'),
    subscriptions: [
      {
        name: 'fields from the event',
        subscribe: 'type = "track"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: { listId: 12345, profileFieldValues: { '@path': '$.properties.fields' } }
      }
    ],
    delivery: { flushIntervalMs: 10 }
  })
})
afterAll(() => h.runtime.stop())

const good = (email: string) => ({
  ...audienceTrack(email, 'my_audience', true),
  properties: { fields: { '6789': 'on' } }
})
let nesting = '0'
for (let i = 0; i < 5000; i++) nesting = `[${nesting}]`

const corpus: [string, string, unknown, number, RegExp][] = [
  ['truncated JSON', '/v1/track', '{"type":"track","event":"Audience En', 400, /^Invalid JSON: /],
  ['an empty body', '/v1/track', '', 400, /object/],
  ['a JSON array to /v1/track', '/v1/track', '[1,2]', 400, /object/],
  ['a batch that is not an array', '/v1/batch', { batch: 'nope' }, 400, /batch/],
  ['a userId of the wrong type', '/v1/track', { event: 'x', userId: { id: 1 } }, 400, /userId/],
  ['an event name of the wrong type', '/v1/track', { event: 5, userId: 'u' }, 400, /event/],
  [
    'a huge string',
    '/v1/track',
    { event: 'x', userId: 'u', properties: { s: 'x'.repeat(100_000) } },
    400,
    /the limit is 32768 bytes/
  ],
  ['a body over the limit', '/v1/batch', { batch: [{ s: 'x'.repeat(600_000) }] }, 413, /larger than/],
  [
    'deep nesting',
    '/v1/track',
    `{"event":"x","userId":"u","properties":{"a":${nesting}}}`,
    400,
    /nested deeper than 32 levels/
  ]
]

describe('bad input', () => {
  it.each(corpus)('%s gets %s', async (_, route, body, status, message) => {
    const response = await h.post(route, body as never)
    expect(response.status).toBe(status)
    const answer = (await response.json()) as { success: boolean; message?: string; refused?: { reason: string }[] }
    expect(answer.success).toBe(false)
    expect(answer.message ?? JSON.stringify(answer.refused)).toMatch(message)
  })

  it('refuses unicode and control characters in emails and field keys, and __proto__ keys, event by event', async () => {
    const response = await h.post('/v1/batch', {
      batch: [
        good('first@example.com'),
        { ...good('a\u0000b@example.com') },
        { ...good('jäne@exämple.com') },
        { ...good('unicode-key@example.com'), properties: { fields: { '６７８９': 'on' } } },
        { ...good('control-key@example.com'), properties: { fields: { '67\u000089': 'on' } } },
        { ...good('proto@example.com'), properties: JSON.parse('{"fields": {"__proto__": "on", "6789": "on"}}') },
        { ...good('constructor@example.com'), properties: { fields: { constructor: 'on' } } },
        good('last@example.com')
      ]
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { refused: unknown[] }).refused).toEqual([
      { index: 5, reason: 'properties.fields.__proto__: the key "__proto__" is not allowed' }
    ])
    await h.runtime.pipeline.drain(5000).catch(() => undefined)
    const contacts = await sandboxContacts(h.runtime.sandbox?.url as string)
    expect(contacts).toEqual({ 'first@example.com': { '6789': 'on' }, 'last@example.com': { '6789': 'on' } })
    const reasons = (await h.waitForDeadLetters(5)).map((l) => l.reason)
    expect(reasons).toHaveLength(5)
    expect(reasons.join('\n')).toMatch(/key "constructor" is not a profile field ID/)
    expect(reasons.join('\n')).toMatch(/key "６７８９" is not a profile field ID/)
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>)['6789']).toBeUndefined()
    // Still serving.
    expect((await fetch(`${h.runtime.url}/health`)).status).toBe(200)
  })
})
