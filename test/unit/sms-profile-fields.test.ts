import { fieldValue, MappedValue } from '../../src/profile-fields/rules'
import { checkSmsFieldValues, isDisabled, SmsFieldDefinition, smsFieldValue } from '../../src/sms/profile-fields'

const text = (t: string): MappedValue => ({ kind: 'text', text: t })
const bool = (on: boolean): MappedValue => ({ kind: 'boolean', on })

const field = (dataType: string, more: Partial<SmsFieldDefinition> = {}): SmsFieldDefinition => ({
  segmentationFieldId: 301,
  segmentationFieldName: 'favorite_store',
  dataType,
  maxLength: null,
  statusFlag: 'Active',
  ...more
})

describe('smsFieldValue against a PhoneAttribute', () => {
  it.each<[string, MappedValue, string]>([
    ['Checkbox', bool(true), 'on'],
    ['Checkbox', bool(false), 'off'],
    ['Checkbox', text('true'), 'on'],
    ['Checkbox', text('FALSE'), 'off'],
    ['Checkbox', text('On'), 'on'],
    ['Checkbox', text('off'), 'off'],
    ['CheckBox', text('true'), 'on'],
    ['Number', text('1250'), '1250'],
    ['Number', text('-3.75'), '-3.75'],
    ['Date', text('2026-01-31'), '2026-01-31'],
    ['Date', text('01/31/2026'), '01/31/2026'],
    ['Text', text('Lancaster'), 'Lancaster'],
    ['Text', text('true'), 'true'],
    ['Text', bool(true), 'true']
  ])('a %s field takes %j as %j', (dataType, mapped, value) => {
    expect(smsFieldValue(301, mapped, field(dataType))).toEqual({ ok: true, value })
  })

  it.each<[string, MappedValue, string]>([
    ['Checkbox', text('maybe'), 'field 301 ("favorite_store", a check box) takes "on" or "off", not "maybe"'],
    ['Checkbox', text('1'), 'field 301 ("favorite_store", a check box) takes "on" or "off", not "1"'],
    ['Number', text('12abc'), 'field 301 ("favorite_store", a Number field) takes a number, not "12abc"'],
    ['Number', bool(true), 'field 301 ("favorite_store", a Number field) takes a number, not true'],
    [
      'Date',
      text('2026-02-30'),
      'field 301 ("favorite_store", a Date field) takes a date (YYYY-MM-DD, optionally with a time, or MM/DD/YYYY), ' +
        'not "2026-02-30"'
    ]
  ])('a %s field refuses %j', (dataType, mapped, problem) => {
    expect(smsFieldValue(301, mapped, field(dataType))).toEqual({ ok: false, problem })
  })

  it('holds a value to the maxLength the field sets', () => {
    expect(smsFieldValue(301, text('x'.repeat(50)), field('Text', { maxLength: 50 }))).toEqual({
      ok: true,
      value: 'x'.repeat(50)
    })
    expect(smsFieldValue(301, text('x'.repeat(51)), field('Text', { maxLength: 50 }))).toEqual({
      ok: false,
      problem: `field 301 ("favorite_store", a Text field) holds at most 50 characters; the value "${'x'.repeat(51)}" has 51`
    })
  })

  it('sets no limit when maxLength is null or absent', () => {
    const long = 'x'.repeat(5000)
    expect(smsFieldValue(301, text(long), field('Text', { maxLength: null }))).toEqual({ ok: true, value: long })
    expect(smsFieldValue(301, text(long), field('Text', { maxLength: undefined }))).toEqual({ ok: true, value: long })
  })

  it("refuses a disabled field with Listrak's code, whatever the value", () => {
    expect(
      smsFieldValue(304, text('x'), field('Text', { segmentationFieldName: 'retired', statusFlag: 'Disabled' }))
    ).toEqual({
      ok: false,
      problem:
        'field 304 ("retired", a Text field) is "Disabled" in Listrak and takes no value (ERROR_SEGMENTATION_FIELD_DISABLED)'
    })
  })

  it('sends a value without a definition unchecked, a check box word as on/off', () => {
    expect(smsFieldValue(301, text('anything at all'))).toEqual({ ok: true, value: 'anything at all' })
    expect(smsFieldValue(301, bool(false))).toEqual({ ok: true, value: 'off' })
  })
})

describe('isDisabled', () => {
  it.each([
    ['Disabled', true],
    ['purged', true],
    ['INACTIVE', true],
    ['Active', false],
    ['Enabled', false],
    [null, false],
    [undefined, false]
  ])('statusFlag %j is disabled: %j', (statusFlag, disabled) => {
    expect(isDisabled(field('Text', { statusFlag }))).toBe(disabled)
  })
})

describe('checkSmsFieldValues', () => {
  const definitions = new Map<number, SmsFieldDefinition>([
    [301, field('Text', { maxLength: 50 })],
    [302, field('Checkbox', { segmentationFieldId: 302, segmentationFieldName: 'vip' })],
    [304, field('Text', { segmentationFieldId: 304, segmentationFieldName: 'retired', statusFlag: 'Purged' })]
  ])

  it('sends the checked values', () => {
    const mapped = new Map([
      [301, text('York')],
      [302, bool(true)]
    ])
    expect(checkSmsFieldValues(101, mapped, definitions)).toEqual({
      values: new Map([
        [301, 'York'],
        [302, 'on']
      ]),
      problems: []
    })
  })

  it('reports every problem: an unknown field, a disabled one and a bad value', () => {
    const mapped = new Map([
      [999, text('x')],
      [304, text('x')],
      [302, text('maybe')],
      [301, text('York')]
    ])
    expect(checkSmsFieldValues(101, mapped, definitions)).toEqual({
      values: new Map([[301, 'York']]),
      problems: [
        'sender code 101 has no profile field 999 (ERROR_INVALID_SEGMENTATION_FIELD_ID)',
        'field 304 ("retired", a Text field) is "Purged" in Listrak and takes no value (ERROR_SEGMENTATION_FIELD_DISABLED)',
        'field 302 ("vip", a check box) takes "on" or "off", not "maybe"'
      ]
    })
  })

  it('leaves values unchecked without definitions', () => {
    expect(checkSmsFieldValues(101, new Map([[999, text('12abc')]]), undefined)).toEqual({
      values: new Map([[999, '12abc']]),
      problems: []
    })
  })
})

describe("the email side's rules keep the Email API's type names", () => {
  it('checks a Numeric field as a number and takes any text in a field typed Number', () => {
    const email = (dataType: string) => ({ segmentationFieldId: 7001, segmentationFieldName: 'total', dataType })
    expect(fieldValue(7001, text('12abc'), email('Numeric')).ok).toBe(false)
    expect(fieldValue(7001, text('12abc'), email('Number'))).toEqual({ ok: true, value: '12abc' })
  })
})
