import nock from 'nock'
import { audienceIdentify, audienceTrack } from '../engage-events'
import {
  acceptImports,
  API,
  FieldSpec,
  importPath,
  isolateNetwork,
  runBatch,
  runSingle,
  serveProfileFields,
  singleMapping
} from './fixtures'

isolateNetwork()

const contact = (emailAddress: string, ...fields: [number, string][]) => ({
  emailAddress,
  segmentationFieldValues: fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
})

describe('Engage audiences, single mapping with useAudienceKey', () => {
  it('sets the field on for Audience Entered and off for Audience Exited (track)', async () => {
    const bodies = acceptImports([12345])
    const results = await runBatch([
      audienceTrack('jane@example.com', 'my_audience', true),
      audienceTrack('john@example.com', 'my_audience', false)
    ])
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [6789, 'on']), contact('john@example.com', [6789, 'off'])]
    ])
    expect(results).toEqual([
      expect.objectContaining({ status: 201, body: { status: 201, resourceId: 'import-12345' } }),
      expect.objectContaining({ status: 201, body: { status: 201, resourceId: 'import-12345' } })
    ])
  })

  it('reads the membership from traits on Engage identify events', async () => {
    const bodies = acceptImports([12345])
    const results = await runBatch([
      audienceIdentify('jane@example.com', 'my_audience', true),
      audienceIdentify('john@example.com', 'my_audience', false)
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [6789, 'on']), contact('john@example.com', [6789, 'off'])]
    ])
  })

  it("uses actions-core's resolved membership when the mapped properties lack the key", async () => {
    const bodies = acceptImports([12345])
    // Identify events built with an empty properties object: traits_or_props resolves to {}.
    const event = { ...audienceIdentify('jane@example.com', 'my_audience', false), properties: {} }
    const results = await runBatch([event])
    expect(results[0].status).toBe(201)
    expect(bodies.get(12345)).toEqual([[contact('jane@example.com', [6789, 'off'])]])
  })

  it('falls back to the event name when no boolean is present', async () => {
    const bodies = acceptImports([12345])
    const entered = audienceTrack('jane@example.com', 'my_audience', true)
    const results = await runBatch([{ ...entered, properties: { audience_key: 'my_audience' } }])
    expect(results[0].status).toBe(201)
    expect(bodies.get(12345)).toEqual([[contact('jane@example.com', [6789, 'on'])]])
  })

  it('refuses an event whose membership cannot be resolved, never sending "useAudienceKey"', async () => {
    const scope = nock(API).post(importPath(12345)).reply(201, {})
    const results = await runBatch([
      {
        type: 'track',
        event: 'Order Completed',
        properties: {},
        context: { traits: { email: 'jane@example.com' } } as never
      }
    ])
    expect(results).toEqual([
      expect.objectContaining({
        status: 400,
        errortype: 'PAYLOAD_VALIDATION_FAILED',
        errormessage: expect.stringContaining('"useAudienceKey" needs the event\'s audience membership')
      })
    ])
    expect(scope.isDone()).toBe(false)
  })
})

describe('Engage audiences, separate mappings with on and off', () => {
  it('sends the literal value each mapping names', async () => {
    const bodies = acceptImports([12345])
    await runBatch([audienceTrack('jane@example.com', 'my_audience', true)], {
      listId: 12345,
      profileFieldValues: { '6789': 'on' }
    })
    await runBatch([audienceTrack('jane@example.com', 'my_audience', false)], {
      listId: 12345,
      profileFieldValues: { '6789': 'off' }
    })
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [6789, 'on'])],
      [contact('jane@example.com', [6789, 'off'])]
    ])
  })

  it('accepts booleans and "true"/"false" in any case, with spaces', async () => {
    const bodies = acceptImports([12345])
    await runBatch([audienceTrack('jane@example.com', 'my_audience', true)], {
      listId: 12345,
      profileFieldValues: { '1': true, '2': ' TRUE ', '3': false, '4': 'Off ', '5': ' On' }
    })
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [1, 'on'], [2, 'on'], [3, 'off'], [4, 'off'], [5, 'on'])]
    ])
  })
})

describe('batches', () => {
  it('sends one import per list and answers each event with its own list', async () => {
    const bodies = acceptImports([111, 222])
    const results = await runBatch(
      [
        { ...audienceTrack('a@example.com', 'k', true), properties: { k: true, list: 111 } },
        { ...audienceTrack('b@example.com', 'k', true), properties: { k: true, list: 222 } },
        { ...audienceTrack('c@example.com', 'k', false), properties: { k: false, list: 111 } }
      ],
      { listId: { '@path': '$.properties.list' }, profileFieldValues: { '6789': 'useAudienceKey' } }
    )
    expect(bodies.get(111)).toEqual([[contact('a@example.com', [6789, 'on']), contact('c@example.com', [6789, 'off'])]])
    expect(bodies.get(222)).toEqual([[contact('b@example.com', [6789, 'on'])]])
    expect(results.map((r) => (r.body as { resourceId: string }).resourceId)).toEqual([
      'import-111',
      'import-222',
      'import-111'
    ])
  })

  it('merges events for one address into one contact; the later event wins', async () => {
    const bodies = acceptImports([12345])
    const results = await runBatch([
      audienceTrack('Jane@Example.com', 'my_audience', true),
      audienceTrack('other@example.com', 'my_audience', true),
      audienceTrack('jane@example.com', 'my_audience', false)
    ])
    expect(bodies.get(12345)).toEqual([
      [contact('Jane@Example.com', [6789, 'off']), contact('other@example.com', [6789, 'on'])]
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
  })

  it('cuts 1,001 contacts into imports of 1,000 and 1', async () => {
    const bodies = acceptImports([12345])
    const events = Array.from({ length: 1001 }, (_, i) => audienceTrack(`user${i}@example.com`, 'my_audience', true))
    const results = await runBatch(events)
    expect((bodies.get(12345) as unknown[][]).map((body) => body.length).sort((a, b) => a - b)).toEqual([1, 1000])
    expect(results).toHaveLength(1001)
    expect(results.every((r) => r.status === 201)).toBe(true)
  })

  it('keeps one bad event from failing the others', async () => {
    const bodies = acceptImports([12345])
    const results = await runBatch(
      [
        audienceTrack('jane@example.com', 'my_audience', true),
        audienceTrack('not an email', 'my_audience', true),
        audienceTrack('john@example.com', 'my_audience', true)
      ],
      { listId: 12345, profileFieldValues: { '6789': 'on' } }
    )
    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [6789, 'on']), contact('john@example.com', [6789, 'on'])]
    ])
  })

  it('keeps one failing list from failing the others', async () => {
    acceptImports([111])
    nock(API).post(importPath(222)).reply(503, { status: 503, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Down.' })
    const results = await runBatch(
      [
        { ...audienceTrack('a@example.com', 'k', true), properties: { k: true, list: 111 } },
        { ...audienceTrack('b@example.com', 'k', true), properties: { k: true, list: 222 } }
      ],
      { listId: { '@path': '$.properties.list' }, profileFieldValues: { '6789': 'useAudienceKey' } }
    )
    expect(results.map((r) => r.status)).toEqual([201, 503])
  })

  it("runs through actions-core's payload validation for a destination whose name has a space (fast-uri pin)", async () => {
    acceptImports([12345])
    const results = await runBatch([audienceTrack('jane@example.com', 'my_audience', true)])
    expect(JSON.stringify(results)).not.toContain('URI scheme is malformed')
    expect(results[0].status).toBe(201)
  })
})

describe('keys that are no profile field IDs', () => {
  // The destination before this one dropped such keys and sent the rest; a mapping saved under it still does.
  it.each(['0', '-3', '12abc', 'test', '99999999999', '', 'undefined', 'null'])(
    'sends the fields beside the key %j and names it in the result and once in the log',
    async (key) => {
      serveProfileFields(12345, [[6789, 'my_audience', 'CheckBox', 0]])
      const bodies = acceptImports([12345])
      const warn = jest.fn()
      const results = await runBatch(
        [
          audienceTrack('jane@example.com', 'my_audience', true),
          audienceTrack('john@example.com', 'my_audience', false)
        ],
        { listId: 12345, profileFieldValues: { [key]: 'on', '6789': 'useAudienceKey' } },
        { warn }
      )
      expect(bodies.get(12345)).toEqual([
        [contact('jane@example.com', [6789, 'on']), contact('john@example.com', [6789, 'off'])]
      ])
      expect(results.map((r) => [r.status, r.sent])).toEqual([
        [201, { listId: 12345, ...contact('jane@example.com', [6789, 'on']), ignoredProfileFieldKeys: [key] }],
        [201, { listId: 12345, ...contact('john@example.com', [6789, 'off']), ignoredProfileFieldKeys: [key] }]
      ])
      expect(warn.mock.calls).toEqual([
        [
          `Profile Field Values: key ${JSON.stringify(key)} is not a profile field ID (whole numbers from 1 to ` +
            '2147483647), left out of 2 of 2 event(s) while the rest of their mapping was used. Remove them from ' +
            'the mapping.'
        ]
      ])
    }
  )
})

describe('refused events', () => {
  const refuse = async (profileFieldValues: Record<string, unknown>, email = 'jane@example.com') => {
    const scope = nock(API).post(importPath(12345)).reply(201, {})
    const [result] = await runBatch([audienceTrack(email, 'my_audience', true)], { listId: 12345, profileFieldValues })
    expect(scope.isDone()).toBe(false)
    expect(result).toMatchObject({ status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' })
    return result.errormessage as string
  }

  it.each(['0', '-3', '12abc', 'test', '99999999999', ''])(
    'refuses an event whose only key is %j, saying there is nothing to send',
    async (key) => {
      expect(await refuse({ [key]: 'on' })).toBe(
        `Profile Field Values has nothing to send: key ${JSON.stringify(key)} is not a profile field ID (whole ` +
          'numbers from 1 to 2147483647).'
      )
    }
  )

  it('refuses a value that cannot be sent, naming the field and the value', async () => {
    expect(await refuse({ '6789': null })).toContain('field 6789 has the value null')
  })

  // The field sets no length; an email address has at most 254 characters.
  it('refuses an email address of 255 characters, quoting its start and saying its length', async () => {
    const address = `${'a'.repeat(243)}@example.com`
    expect(await refuse({ '6789': 'on' }, address)).toBe(
      `Email Address ${JSON.stringify(address).slice(0, 60)}… has 255 characters; an email address has at most 254.`
    )
  })

  it('refuses an event with no profile field values, saying what to map', async () => {
    expect(await refuse({})).toBe(
      'Profile Field Values is empty: map at least one profile field ID to a value or "useAudienceKey".'
    )
  })
})

describe('every profile field type', () => {
  const fields: FieldSpec[] = [
    [6789, 'my_audience', 'CheckBox', 3],
    [7001, 'loyalty_tier', 'Text', 10],
    [7003, 'loyalty_points', 'Numeric', 10],
    [7004, 'birthday', 'Date', 30]
  ]
  const jane = audienceTrack('jane@example.com', 'my_audience', true)

  it('sends Text, Numeric and Date values as strings, checked against their fields', async () => {
    serveProfileFields(12345, fields)
    const bodies = acceptImports([12345])
    const mapping = { listId: 12345, profileFieldValues: { '7001': ' Gold ', '7003': 1250, '7004': '1990-04-01' } }
    const [result] = await runBatch([jane], mapping)
    expect(result.status).toBe(201)
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [7001, 'Gold'], [7003, '1250'], [7004, '1990-04-01'])]
    ])
  })

  it('refuses "maybe" on a check box for that event alone; the other events go in one import', async () => {
    serveProfileFields(12345, fields)
    const bodies = acceptImports([12345])
    const mapping = { listId: 12345, profileFieldValues: { '6789': { '@path': '$.properties.choice' } } }
    const events = ['on', 'maybe', 'off'].map((choice, i) => ({
      ...audienceTrack(`user${i}@example.com`, 'my_audience', true),
      properties: { choice }
    }))
    const results = await runBatch(events, mapping)
    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
    expect(results[1].errormessage).toBe(
      'Profile Field Values: field 6789 ("my_audience", a check box) takes "on" or "off", not "maybe".'
    )
    expect(bodies.get(12345)).toEqual([
      [contact('user0@example.com', [6789, 'on']), contact('user2@example.com', [6789, 'off'])]
    ])
  })

  it.each([
    ['7001', 'Platinum Plus', 'holds at most 10 characters'],
    ['7003', 'lots', '("loyalty_points", a Numeric field) takes a number, not "lots"'],
    ['7004', '2026-02-30', '("birthday", a Date field) takes a date'],
    ['4242', 'on', 'list 12345 has no profile field 4242']
  ])('refuses field %s = %j before Listrak sees it', async (key, value, message) => {
    serveProfileFields(12345, fields)
    const scope = nock(API).post(importPath(12345)).reply(201, {})
    const [result] = await runBatch([jane], { listId: 12345, profileFieldValues: { [key]: value } })
    expect(result).toMatchObject({ status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' })
    expect(result.errormessage).toContain(message)
    expect(scope.isDone()).toBe(false)
  })

  it('sends without the check when the definitions cannot be read, and says so once in the log', async () => {
    nock(API).get('/email/v1/List/12345/SegmentationFieldGroup').reply(403, { error: 'ERROR_FORBIDDEN' })
    const bodies = acceptImports([12345])
    const warn = jest.fn()
    const mapping = { listId: 12345, profileFieldValues: { '7001': 'Gold', '6789': 'maybe' } }
    const first = await runBatch([jane], mapping, { warn })
    const second = await runBatch([jane], mapping, { warn })
    expect([first[0].status, second[0].status]).toEqual([201, 201])
    expect(bodies.get(12345)).toEqual([
      [contact('jane@example.com', [6789, 'maybe'], [7001, 'Gold'])],
      [contact('jane@example.com', [6789, 'maybe'], [7001, 'Gold'])]
    ])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0][0]).toMatch(/ERROR_FORBIDDEN.*sent without the check against their field types/)
  })
})

describe("a list's field definitions that cannot be read", () => {
  const jane = audienceTrack('jane@example.com', 'my_audience', true)
  const mapping = { listId: 12345, profileFieldValues: { '7001': 'Gold' } }
  const start = Date.now()
  /** Runs a batch `ms` milliseconds after the first. */
  const runAt = (ms: number, warn: jest.Mock = jest.fn()) => {
    jest.spyOn(Date, 'now').mockReturnValue(start + ms)
    return runBatch([jane], mapping, { warn })
  }
  let reads = 0

  beforeEach(() => {
    reads = 0
    nock(API)
      .get('/email/v1/List/12345/SegmentationFieldGroup')
      .times(10)
      .reply(() => {
        reads++
        return [500, { status: 500, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Oops.' }]
      })
    acceptImports([12345])
  })
  afterEach(() => jest.restoreAllMocks())

  it('are not asked for again for 60 seconds after a failed read', async () => {
    const results = [await runAt(0), await runAt(30_000), await runAt(59_999)]
    expect(results.map(([result]) => result.status)).toEqual([201, 201, 201])
    expect(reads).toBe(1)
    await runAt(60_000)
    expect(reads).toBe(2)
    await runAt(60_000 + 59_999)
    expect(reads).toBe(2)
    await runAt(120_000)
    expect(reads).toBe(3)
  })

  it('are said to be unchecked once while the reads keep failing, not at every read', async () => {
    const warn = jest.fn()
    for (const ms of [0, 60_000, 120_000, 180_000]) await runAt(ms, warn)
    expect(reads).toBe(4)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0][0]).toMatch(/ERROR_UNHANDLED_EXCEPTION.*sent without the check against their field types/)
  })
})

describe('Listrak failures, per event', () => {
  const failWith = async (reply: (scope: nock.Interceptor) => nock.Scope) => {
    reply(nock(API).post(importPath(12345)))
    const [result] = await runBatch([audienceTrack('jane@example.com', 'my_audience', true)])
    return result
  }

  it("400 keeps Listrak's code and message and is final", async () => {
    const result = await failWith((i) =>
      i.reply(400, {
        status: 400,
        error: 'ERROR_INVALID_PARAMETER',
        message: 'An invalid value was supplied for emailAddress.'
      })
    )
    expect(result).toMatchObject({ status: 400, errortype: 'BAD_REQUEST' })
    expect(result.errormessage).toContain('ERROR_INVALID_PARAMETER: An invalid value was supplied for emailAddress.')
    expect(result.errormessage).toContain('list 12345')
    expect(result.body).toEqual({
      status: 400,
      error: 'ERROR_INVALID_PARAMETER',
      message: 'An invalid value was supplied for emailAddress.'
    })
  })

  it('401 stays 401 so the runtime refreshes the token', async () => {
    const result = await failWith((i) =>
      i.reply(401, { status: 401, error: 'ERROR_UNAUTHORIZED', message: 'Authorization was denied for this request.' })
    )
    expect(result).toMatchObject({ status: 401, errortype: 'UNAUTHORIZED' })
    expect(result.errormessage).toContain('ERROR_UNAUTHORIZED')
  })

  it('404 says that the list, or the payload size, was refused', async () => {
    const result = await failWith((i) =>
      i.reply(404, {
        status: 404,
        error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE',
        message: 'Unable to locate a resource associated with the listId supplied.'
      })
    )
    expect(result).toMatchObject({ status: 404, errortype: 'NOT_FOUND' })
    expect(result.errormessage).toMatch(/list 12345: the list does not exist .* or the import was too large/)
  })

  it.each([429, 500, 502, 503])('%i is passed on as retryable', async (status) => {
    const result = await failWith((i) => i.reply(status, 'upstream trouble'))
    expect(result.status).toBe(status)
    expect(result.errormessage).toContain(`HTTP ${status}: upstream trouble`)
  })

  it('a timeout becomes 408', async () => {
    const result = await failWith((i) => i.replyWithError(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })))
    expect(result).toMatchObject({ status: 408, errortype: 'REQUEST_TIMEOUT' })
  })

  it('a connection error becomes a retryable 500', async () => {
    const result = await failWith((i) =>
      i.replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    )
    expect(result).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
    expect(result.errormessage).toContain('ECONNRESET')
  })
})

describe('perform (one event)', () => {
  it('sends one contact and returns the import', async () => {
    const bodies = acceptImports([12345])
    const [response] = await runSingle(audienceTrack('jane@example.com', 'my_audience', true))
    expect(response.status).toBe(201)
    expect(bodies.get(12345)).toEqual([[contact('jane@example.com', [6789, 'on'])]])
  })

  it('throws PayloadValidationError for a refused event', async () => {
    await expect(
      runSingle(audienceTrack('jane@example.com', 'my_audience', true), {
        listId: 12345,
        profileFieldValues: { x: 'on' }
      })
    ).rejects.toMatchObject({ name: 'PayloadValidationError', status: 400 })
  })

  it.each([
    [400, 'IntegrationError'],
    [401, 'InvalidAuthenticationError'],
    [404, 'IntegrationError'],
    [429, 'RetryableError'],
    [503, 'RetryableError']
  ])('throws for Listrak %i as %s with the same status', async (status, name) => {
    nock(API).post(importPath(12345)).reply(status, { status, error: 'ERROR_X', message: 'said Listrak' })
    await expect(runSingle(audienceTrack('jane@example.com', 'my_audience', true))).rejects.toMatchObject({
      name,
      status,
      message: expect.stringContaining('ERROR_X: said Listrak')
    })
  })
})

it("the single mapping in the fixture is the manual's", () => {
  expect(singleMapping).toEqual({ listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } })
})
