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

const corpus: [string, string, number, unknown, RegExp][] = [
  ['truncated JSON', '/v1/track', 400, '{"type":"track","event":"Audience En', /^Invalid JSON: /],
  ['an empty body', '/v1/track', 400, '', /^an event must be a JSON object/],
  ['a JSON array', '/v1/track', 400, '[1,2]', /^an event must be a JSON object/],
  ['a batch that is not an array', '/v1/batch', 400, { batch: 'nope' }, /^The body must be \{ "batch": \[/],
  ['a userId of the wrong type', '/v1/track', 400, { event: 'x', userId: { id: 1 } }, /^userId: /],
  ['an event name of the wrong type', '/v1/track', 400, { event: 5, userId: 'u' }, /^event: /],
  [
    'a huge string',
    '/v1/track',
    400,
    { event: 'x', userId: 'u', properties: { s: 'x'.repeat(100_000) } },
    /^the event is \d+ bytes; the limit is 32768 bytes/
  ],
  [
    'a body over the limit',
    '/v1/batch',
    413,
    { batch: [{ s: 'x'.repeat(600_000) }] },
    /^The request body is larger than/
  ],
  [
    'deep nesting',
    '/v1/track',
    400,
    `{"event":"x","userId":"u","properties":{"a":${nesting}}}`,
    /^the event is nested deeper than 32 levels/
  ]
]

describe('bad input', () => {
  it.each(corpus)('%s to %s is answered %i, saying why', async (_, route, status, body, message) => {
    const response = await h.post(route, body as never)
    expect([response.status, await response.json()]).toEqual([
      status,
      { success: false, message: expect.stringMatching(message) }
    ])
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
    // Seven accepted: two delivered, five dead-lettered.
    expect(await h.settled(7)).toMatchObject({ accepted: 7, delivered: 2, deadLettered: 5 })
    const contacts = await sandboxContacts(h.runtime.sandbox?.url as string)
    expect(contacts).toEqual({ 'first@example.com': { '6789': 'on' }, 'last@example.com': { '6789': 'on' } })
    const reasons = h.deadLetters().map((l) => l.reason)
    expect(reasons).toHaveLength(5)
    expect(reasons.join('\n')).toMatch(/key "constructor" is not a profile field ID/)
    expect(reasons.join('\n')).toMatch(/key "６７８９" is not a profile field ID/)
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>)['6789']).toBeUndefined()
    // Still serving.
    expect((await fetch(`${h.runtime.url}/health`)).status).toBe(200)
  })
})
