import type { ProfileField } from '../../src/api/profile-fields'
import type { Payload } from '../../src/updateEmailContactProfileFields/generated-types'
import { finishEvent, readEvent } from '../../src/updateEmailContactProfileFields/prepare'

const payload = (emailAddress: string, profileFieldValues: Record<string, unknown>, extra: Partial<Payload> = {}) =>
  ({ listId: 12345, emailAddress, profileFieldValues, enable_batching: true, ...extra }) as Payload

const group = { segmentationFieldGroupId: 501, segmentationFieldGroupName: 'Preferences' }
const definitions = new Map<number, ProfileField>(
  (
    [
      [6789, 'my_audience', 'CheckBox', 3],
      [7001, 'favorite_store', 'Text', 50],
      [7003, 'loyalty_points', 'Numeric', 10],
      [7004, 'birthday', 'Date', 30]
    ] as const
  ).map(([id, name, dataType, maxLength]) => [
    id,
    { segmentationFieldId: id, segmentationFieldName: name, dataType, maxLength, group }
  ])
)

/** An event the payload alone does not refuse. */
function read(p: Payload, membership?: boolean) {
  const result = readEvent(p, membership)
  expect(result.problems).toEqual({ addresses: [], values: [], others: [] })
  return result
}

/** What an event comes to without the list's field definitions. */
const prepare = (p: Payload) => finishEvent(readEvent(p), undefined, undefined)

describe('readEvent', () => {
  it('reports every problem of an event in one message: the address and each value', () => {
    expect(prepare(payload('not-an-email', { '6788': 'useAudienceKey', '6789': null }))).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^Email Address "not-an-email" is not a valid email address\. Profile Field Values: field 6788: "useAudienceKey" needs .*; field 6789 has the value null/
      )
    })
  })

  it('sends the fields beside keys that are no profile field IDs, and names those keys', () => {
    expect(prepare(payload('a@example.com', { test: 'on', '0': 'on', '': 'on', '6789': 'on' }))).toEqual({
      ok: true,
      event: { listId: 12345, emailAddress: 'a@example.com', values: new Map([[6789, 'on']]) },
      ignored: ['0', 'test', '']
    })
  })

  it('refuses an event whose keys are none of them profile field IDs, saying there is nothing to send', () => {
    expect(prepare(payload('a@example.com', { test: 'on', '0': 'on' }))).toEqual({
      ok: false,
      message:
        'Profile Field Values has nothing to send: keys "0", "test" are not profile field IDs (whole numbers from 1 ' +
        'to 2147483647).'
    })
  })

  it('passes the runtime-resolved membership to useAudienceKey', () => {
    expect(read(payload('a@example.com', { '6789': 'useAudienceKey' }), true).values).toEqual(
      new Map([[6789, { kind: 'audience', on: true }]])
    )
  })

  it('refuses an empty mapping unless the field comes from the audience key', () => {
    expect(prepare(payload('a@example.com', {}))).toEqual({
      ok: false,
      message: expect.stringContaining('Profile Field Values is empty')
    })
    const fromAudience = payload(
      'a@example.com',
      {},
      {
        audienceProfileField: 'match',
        segment_audience_key: 'vip',
        event_name: 'Audience Entered'
      }
    )
    expect(read(fromAudience).audience).toEqual({ key: 'vip', member: true })
  })

  it('refuses an audience-key event with no audience key', () => {
    const result = prepare(payload('a@example.com', {}, { audienceProfileField: 'match' }))
    expect(!result.ok && result.message).toContain('the event has no audience key')
  })
})

describe('finishEvent', () => {
  it('checks each value against its field and sends it as a string', () => {
    const event = read(
      payload('a@example.com', { '6789': true, '7001': ' Downtown ', '7003': 1250, '7004': '2026-11-28' })
    )
    expect(finishEvent(event, definitions, undefined)).toEqual({
      ok: true,
      event: {
        listId: 12345,
        emailAddress: 'a@example.com',
        values: new Map([
          [6789, 'on'],
          [7001, 'Downtown'],
          [7003, '1250'],
          [7004, '2026-11-28']
        ])
      },
      ignored: []
    })
  })

  it('refuses the event for every value that does not fit, naming field, type and value', () => {
    const event = read(payload('a@example.com', { '6789': 'maybe', '7003': 'lots', '7001': 'ok' }))
    const result = finishEvent(event, definitions, undefined)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.message).toBe(
      'Profile Field Values: field 6789 ("my_audience", a check box) takes "on" or "off", not "maybe"; ' +
        'field 7003 ("loyalty_points", a Numeric field) takes a number, not "lots".'
    )
  })

  it('refuses a field the list does not have, when the list was read', () => {
    const result = finishEvent(read(payload('a@example.com', { '4242': 'on' })), definitions, undefined)
    expect(!result.ok && result.message).toBe('Profile Field Values: list 12345 has no profile field 4242.')
  })

  it('sends without the type check when the definitions could not be read', () => {
    const result = finishEvent(
      read(payload('a@example.com', { '4242': 'maybe', '6789': 'true' })),
      undefined,
      undefined
    )
    expect(result.ok && result.event.values).toEqual(
      new Map([
        [4242, 'maybe'],
        [6789, 'on']
      ])
    )
  })

  it('adds the audience field, but an explicit value for the same field wins', () => {
    const base = { audienceProfileField: 'match' as const, segment_audience_key: 'my_audience' }
    const exited = read(payload('a@example.com', { '6789': 'on' }, { ...base, event_name: 'Audience Exited' }))
    const explicit = finishEvent(exited, definitions, { ok: true, fieldId: 6789 })
    expect(explicit.ok && explicit.event.values).toEqual(new Map([[6789, 'on']]))
    const other = finishEvent(exited, definitions, { ok: true, fieldId: 6790 })
    expect(other.ok && other.event.values).toEqual(
      new Map([
        [6789, 'on'],
        [6790, 'off']
      ])
    )
  })

  it("refuses the event with Listrak's failure when its audience field could not be had", () => {
    const failure = { status: 503, errortype: 'SERVICE_UNAVAILABLE' as const, message: 'Listrak failed' }
    const event = read(
      payload(
        'a@example.com',
        {},
        { audienceProfileField: 'match', segment_audience_key: 'x', event_name: 'Audience Entered' }
      )
    )
    expect(finishEvent(event, undefined, { ok: false, failure })).toEqual({
      ok: false,
      message: 'Listrak failed',
      failure
    })
  })
})
