import {
  normalizeEmail,
  parseProfileFieldId,
  resolveMembership,
  resolveProfileFieldValues
} from '../../src/updateEmailContactProfileFields/profile-fields'
import type { Membership } from '../../src/updateEmailContactProfileFields/profile-fields'

const member = (m: boolean) => (): Membership => ({ ok: true, member: m })
const unknownMembership = (): Membership => ({ ok: false, reason: 'no membership here' })

describe('parseProfileFieldId', () => {
  it('accepts positive 32-bit integers written in digits', () => {
    expect(parseProfileFieldId('6789')).toBe(6789)
    expect(parseProfileFieldId('1')).toBe(1)
    expect(parseProfileFieldId('2147483647')).toBe(2147483647)
  })

  it.each(['', '0', '-3', '12abc', 'test', '99999999999', '2147483648', '1.5', ' 12', '1e3', '__proto__'])(
    'refuses %j',
    (key) => {
      expect(parseProfileFieldId(key)).toBeUndefined()
    }
  )
})

describe('resolveProfileFieldValues', () => {
  it.each([
    ['on', 'on'],
    [' ON ', 'on'],
    ['Off', 'off'],
    [true, 'on'],
    [false, 'off'],
    ['true', 'on'],
    [' FALSE', 'off']
  ])('turns %j into %j', (raw, expected) => {
    const result = resolveProfileFieldValues({ '6789': raw }, unknownMembership)
    expect(result).toEqual({ ok: true, values: new Map([[6789, expected]]) })
  })

  it('resolves useAudienceKey from the membership, once for several fields', () => {
    const membership = jest.fn(member(false))
    const result = resolveProfileFieldValues({ '6789': 'useAudienceKey', '6790': 'useAudienceKey' }, membership)
    expect(result).toEqual({
      ok: true,
      values: new Map([
        [6789, 'off'],
        [6790, 'off']
      ])
    })
    expect(membership).toHaveBeenCalledTimes(1)
  })

  it('does not ask for the membership when no field uses it', () => {
    const membership = jest.fn(member(true))
    resolveProfileFieldValues({ '6789': 'on' }, membership)
    expect(membership).not.toHaveBeenCalled()
  })

  it('refuses useAudienceKey when the membership is unknown, saying why', () => {
    const result = resolveProfileFieldValues({ '6789': 'useAudienceKey' }, unknownMembership)
    expect(result).toEqual({
      ok: false,
      message:
        'Profile Field Values: field 6789: "useAudienceKey" needs the event\'s audience membership, but the event has no membership here.'
    })
  })

  it.each(['', '0', '-3', '12abc', 'test', '99999999999'])('refuses the key %j, naming it', (key) => {
    const result = resolveProfileFieldValues({ [key]: 'on' }, unknownMembership)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.message).toContain(`key ${JSON.stringify(key)} is not a profile field ID`)
  })

  it.each([['maybe'], [1], [null], [{ on: true }], ['use audience key']])(
    'refuses the value %j, naming the field and the value',
    (value) => {
      const result = resolveProfileFieldValues({ '6789': value }, unknownMembership)
      expect(result.ok).toBe(false)
      expect(!result.ok && result.message).toContain(`field 6789 has the value ${JSON.stringify(value)}`)
    }
  )

  it('reports every problem of the mapping at once', () => {
    const result = resolveProfileFieldValues({ abc: 'on', '6789': 'maybe', '6790': 'on' }, unknownMembership)
    expect(!result.ok && result.message).toContain('field 6789 has the value "maybe"')
    expect(!result.ok && result.message).toContain('key "abc" is not a profile field ID')
  })

  it('refuses a mapping with no fields', () => {
    const result = resolveProfileFieldValues({}, unknownMembership)
    expect(!result.ok && result.message).toContain('Profile Field Values is empty')
  })
})

describe('resolveMembership', () => {
  it('reads the boolean the audience key names first', () => {
    expect(
      resolveMembership({
        traitsOrProps: { my_audience: false },
        audienceKey: 'my_audience',
        resolvedMembership: true,
        eventName: 'Audience Entered'
      })
    ).toEqual({ ok: true, member: false })
  })

  it("falls back to actions-core's resolved membership, then to the event name", () => {
    expect(resolveMembership({ traitsOrProps: {}, audienceKey: 'k', resolvedMembership: true })).toEqual({
      ok: true,
      member: true
    })
    expect(resolveMembership({ traitsOrProps: { k: 'true' }, audienceKey: 'k', eventName: 'Audience Exited' })).toEqual(
      { ok: true, member: false }
    )
    expect(resolveMembership({ eventName: ' audience entered ' })).toEqual({ ok: true, member: true })
  })

  it('says what was missing when nothing resolves', () => {
    const withKey = resolveMembership({ traitsOrProps: {}, audienceKey: 'my_audience', eventName: 'Order Completed' })
    expect(!withKey.ok && withKey.reason).toContain('no true/false value at "my_audience"')
    const withoutKey = resolveMembership({ eventName: 'Order Completed' })
    expect(!withoutKey.ok && withoutKey.reason).toContain('context.personas.computation_key is missing')
  })
})

describe('normalizeEmail', () => {
  it('trims the address', () => {
    expect(normalizeEmail('  Jane@Example.com ')).toEqual({ ok: true, email: 'Jane@Example.com' })
  })

  it.each(['', 'jane', 'jane@', '@example.com', 'ja ne@example.com', 'jane@example', 42, undefined])(
    'refuses %j',
    (raw) => {
      expect(normalizeEmail(raw).ok).toBe(false)
    }
  )
})
