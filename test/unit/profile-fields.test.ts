import {
  fieldValue,
  isDate,
  normalizeEmail,
  ignoredKeysNote,
  parseProfileFieldId,
  readProfileFieldValues,
  resolveMembership
} from '../../src/profile-fields/rules'
import type { FieldDefinition, MappedValue, Membership } from '../../src/profile-fields/rules'

const member = (m: boolean) => (): Membership => ({ ok: true, member: m })
const unknownMembership = (): Membership => ({ ok: false, reason: 'no membership here' })

describe('parseProfileFieldId', () => {
  it('accepts positive 32-bit integers written in digits, with spaces around them or not', () => {
    expect(parseProfileFieldId('6789')).toBe(6789)
    expect(parseProfileFieldId('1')).toBe(1)
    expect(parseProfileFieldId('2147483647')).toBe(2147483647)
    expect(parseProfileFieldId(' 12 ')).toBe(12)
  })

  it.each(['', '0', '-3', '12abc', 'test', '99999999999', '2147483648', '1.5', '1 2', '1e3', '__proto__'])(
    'refuses %j',
    (key) => {
      expect(parseProfileFieldId(key)).toBeUndefined()
    }
  )
})

const text = (t: string): MappedValue => ({ kind: 'text', text: t })
const field = (dataType: string, maxLength?: number): FieldDefinition => ({
  segmentationFieldId: 7001,
  segmentationFieldName: 'favorite_store',
  dataType,
  ...(maxLength === undefined ? {} : { maxLength })
})

describe('readProfileFieldValues', () => {
  it.each([
    ['on', text('on')],
    [' Downtown ', text('Downtown')],
    [true, { kind: 'boolean', on: true }],
    [false, { kind: 'boolean', on: false }],
    [42, text('42')],
    [-1.5, text('-1.5')],
    ['', text('')]
  ])('reads %j as %j', (raw, expected) => {
    expect(readProfileFieldValues({ '6789': raw }, unknownMembership)).toEqual({
      values: new Map([[6789, expected]]),
      problems: [],
      ignored: []
    })
  })

  it('resolves useAudienceKey from the membership, once for several fields', () => {
    const membership = jest.fn(member(false))
    const result = readProfileFieldValues({ '6789': 'useAudienceKey', '6790': ' USEAUDIENCEKEY ' }, membership)
    expect(result.values).toEqual(
      new Map([
        [6789, { kind: 'audience', on: false }],
        [6790, { kind: 'audience', on: false }]
      ])
    )
    expect(membership).toHaveBeenCalledTimes(1)
  })

  it('does not ask for the membership when no field uses it', () => {
    const membership = jest.fn(member(true))
    readProfileFieldValues({ '6789': 'on' }, membership)
    expect(membership).not.toHaveBeenCalled()
  })

  it('refuses useAudienceKey when the membership is unknown, saying why', () => {
    expect(readProfileFieldValues({ '6789': 'useAudienceKey' }, unknownMembership).problems).toEqual([
      'field 6789: "useAudienceKey" needs the event\'s audience membership, but the event has no membership here'
    ])
  })

  it.each(['', '0', '-3', '12abc', 'test', '99999999999', 'undefined', 'null'])(
    'leaves out the key %j and reads the others, as the destination before did',
    (key) => {
      expect(readProfileFieldValues({ [key]: 'on', '6789': 'off' }, unknownMembership)).toEqual({
        values: new Map([[6789, text('off')]]),
        problems: [],
        ignored: [key]
      })
    }
  )

  it('names the keys it left out', () => {
    expect(ignoredKeysNote(['test'])).toBe('key "test" is not a profile field ID (whole numbers from 1 to 2147483647)')
    expect(ignoredKeysNote(['0', ''])).toBe(
      'keys "0", "" are not profile field IDs (whole numbers from 1 to 2147483647)'
    )
  })

  it.each([[null], [{ on: true }], [['on']], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'refuses the value %j, which is not text, a number or a boolean',
    (value) => {
      const { problems } = readProfileFieldValues({ '6789': value }, unknownMembership)
      expect(problems).toEqual([expect.stringContaining(`field 6789 has the value ${JSON.stringify(value)}`)])
    }
  )

  it('reports every problem of the mapping at once', () => {
    const { problems } = readProfileFieldValues({ '6788': 'useAudienceKey', '6789': null }, unknownMembership)
    expect(problems).toEqual([
      expect.stringContaining('field 6788: "useAudienceKey" needs'),
      expect.stringContaining('field 6789 has the value null')
    ])
  })
})

describe('fieldValue without the field definition', () => {
  it.each([
    [text('on'), 'on'],
    [text('ON'), 'on'],
    [text('Off'), 'off'],
    [text('true'), 'on'],
    [text('FALSE'), 'off'],
    [{ kind: 'boolean', on: true } as MappedValue, 'on'],
    [{ kind: 'audience', on: false } as MappedValue, 'off'],
    [text('Gold'), 'Gold'],
    [text('42'), '42']
  ])('sends %j as %j', (mapped, expected) => {
    expect(fieldValue(6789, mapped)).toEqual({ ok: true, value: expected })
  })
})

describe('fieldValue against the field definition', () => {
  it.each([
    ['CheckBox', text('on'), 'on'],
    ['CheckBox', text('True'), 'on'],
    ['CheckBox', { kind: 'audience', on: true } as MappedValue, 'on'],
    ['Text', text('Gold'), 'Gold'],
    ['Text', text('true'), 'true'],
    ['Text', { kind: 'boolean', on: false } as MappedValue, 'false'],
    ['Text', { kind: 'audience', on: true } as MappedValue, 'on'],
    ['Numeric', text('1250'), '1250'],
    ['Numeric', text('-3.75'), '-3.75'],
    ['Date', text('2026-11-28'), '2026-11-28'],
    ['Date', text('2026-11-28T09:30:00Z'), '2026-11-28T09:30:00Z'],
    ['Date', text('02/29/2024'), '02/29/2024'],
    ['RadioButton', text('Weekly'), 'Weekly']
  ])('a %s field takes %j as %j', (dataType, mapped, expected) => {
    expect(fieldValue(7001, mapped, field(dataType))).toEqual({ ok: true, value: expected })
  })

  it.each([
    ['CheckBox', text('maybe'), 'field 7001 ("favorite_store", a check box) takes "on" or "off", not "maybe"'],
    ['CheckBox', text(''), 'takes "on" or "off", not ""'],
    ['Numeric', text('12abc'), 'field 7001 ("favorite_store", a Numeric field) takes a number, not "12abc"'],
    ['Numeric', { kind: 'boolean', on: true } as MappedValue, 'takes a number, not true'],
    ['Numeric', { kind: 'audience', on: true } as MappedValue, 'takes a number, not "useAudienceKey"'],
    ['Date', text('2026-02-30'), 'field 7001 ("favorite_store", a Date field) takes a date'],
    ['Date', text('13/01/2026'), 'takes a date'],
    ['Date', text('tomorrow'), 'not "tomorrow"']
  ])('a %s field refuses %j', (dataType, mapped, message) => {
    const result = fieldValue(7001, mapped, field(dataType))
    expect(result.ok).toBe(false)
    expect(!result.ok && result.problem).toContain(message)
  })

  it('refuses a value longer than the field holds, naming the length', () => {
    const result = fieldValue(7001, text('x'.repeat(51)), field('Text', 50))
    expect(!result.ok && result.problem).toContain('holds at most 50 characters; the value')
    expect(fieldValue(7001, text('x'.repeat(50)), field('Text', 50))).toEqual({ ok: true, value: 'x'.repeat(50) })
  })
})

describe('isDate', () => {
  it.each(['2024-02-29', '2026-01-01 00:00', '2026-01-01T23:59:59.123+02:00', '1/2/2026', '12/31/1999'])(
    'takes %j',
    (value) => expect(isDate(value)).toBe(true)
  )
  it.each(['2023-02-29', '2026-13-01', '2026-01-01T24:00', '31/12/1999', '2026/01/01', '', '20260101'])(
    'refuses %j',
    (value) => expect(isDate(value)).toBe(false)
  )
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

  it("takes actions-core's resolved membership before the event name", () => {
    expect(
      resolveMembership({
        traitsOrProps: {},
        audienceKey: 'k',
        resolvedMembership: false,
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
  const address = (length: number) => `${'a'.repeat(length - '@example.com'.length)}@example.com`

  it('takes an address of 254 characters and refuses one of 255, saying how long it is', () => {
    expect(normalizeEmail(address(254))).toEqual({ ok: true, email: address(254) })
    expect(normalizeEmail(address(255))).toEqual({
      ok: false,
      message: `Email Address ${JSON.stringify(address(255)).slice(0, 60)}… has 255 characters; an email address has at most 254.`
    })
  })

  it('trims the address', () => {
    expect(normalizeEmail('  Jane@Example.com ')).toEqual({ ok: true, email: 'Jane@Example.com' })
  })

  it('counts the 254 characters after trimming', () => {
    expect(normalizeEmail(` ${address(254)}\t`)).toEqual({ ok: true, email: address(254) })
  })

  it.each(['', '   ', 'jane', 'jane@', '@example.com', 'ja ne@example.com', 'jane@example', 42, undefined])(
    'refuses %j',
    (raw) => {
      expect(normalizeEmail(raw).ok).toBe(false)
    }
  )

  // Addresses actions-core's `format: email` refused before the fields dropped it: they must not reach Listrak now.
  it.each([
    'jäne@exämple.com',
    'a\u0000b@example.com',
    'jane..doe@example.com',
    'jane@exam_ple.com',
    'jane@-example.com'
  ])('refuses %j, as actions-core did', (raw) => {
    expect(normalizeEmail(` ${raw} `).ok).toBe(false)
  })

  // Addresses actions-core's `format: email` took: a mapping that delivered them still does.
  it.each(["o'brien+tag@mail.example.co.uk", 'UPPER@EXAMPLE.COM', "a!#$%&'*+/=?^_`{|}~-@example.com", 'x@1.io'])(
    'takes %j, as actions-core did',
    (raw) => {
      expect(normalizeEmail(raw)).toEqual({ ok: true, email: raw })
    }
  )

  it('names the field and the value as it was read', () => {
    expect(normalizeEmail(' jane@ ')).toEqual({
      ok: false,
      message: 'Email Address " jane@ " is not a valid email address.'
    })
    expect(normalizeEmail('new@', 'New Email Address')).toEqual({
      ok: false,
      message: 'New Email Address "new@" is not a valid email address.'
    })
  })
})
