import { SmsFieldDefinition } from '../../src/sms/profile-fields'
import {
  finishSmsContact,
  PreparedSmsContact,
  readSmsContact,
  readSmsMessage,
  readSmsUnsubscribe,
  SenderPhoneRules,
  SmsContactPayload,
  SmsMessagePayload,
  SmsUnsubscribePayload
} from '../../src/sms/prepare'

const US: SenderPhoneRules = { country: 'US' }

/** The sender code 101's profile fields, as the design's fixture has them. */
const definitions = new Map<number, SmsFieldDefinition>([
  [301, { segmentationFieldId: 301, segmentationFieldName: 'favorite_store', dataType: 'Text', maxLength: 50 }],
  [302, { segmentationFieldId: 302, segmentationFieldName: 'vip', dataType: 'Checkbox', maxLength: null }],
  [303, { segmentationFieldId: 303, segmentationFieldName: 'last_order_date', dataType: 'Date', maxLength: null }],
  [304, { segmentationFieldId: 304, segmentationFieldName: 'retired', dataType: 'Text', statusFlag: 'Disabled' }]
])

const contact = (more: Partial<SmsContactPayload> = {}): SmsContactPayload => ({
  senderCodeId: 101,
  phoneListId: 201,
  subscribe: true,
  phoneNumber: '(215) 555-0123',
  ...more
})

const prepare = (payload: SmsContactPayload, rules = US): PreparedSmsContact =>
  finishSmsContact(readSmsContact(payload, rules), definitions)

const change = (payload: SmsContactPayload, rules = US) => {
  const prepared = prepare(payload, rules)
  if (!prepared.ok) throw new Error(`refused: ${prepared.message}`)
  return prepared.change
}

const refusal = (payload: SmsContactPayload, rules = US) => {
  const prepared = prepare(payload, rules)
  if (prepared.ok) throw new Error('expected a refusal')
  return prepared.message
}

describe('readSmsContact and finishSmsContact', () => {
  it("reads the design's new subscriber: the number national, the fields trimmed, the check box on", () => {
    expect(
      change(
        contact({
          emailAddress: 'jane@example.com',
          firstName: 'Jane',
          postalCode: '17601',
          profileFieldValues: { '302': true }
        })
      )
    ).toEqual({
      senderCodeId: 101,
      phoneListId: 201,
      subscribe: true,
      resubscribeOptedOut: false,
      phoneNumber: '2155550123',
      e164: '+12155550123',
      fields: { emailAddress: 'jane@example.com', firstName: 'Jane', postalCode: '17601' },
      values: new Map([[302, 'on']]),
      ignored: []
    })
  })

  it('sends the number in E.164 when the format setting says so', () => {
    expect(change(contact(), { country: 'US', format: 'e164' })).toMatchObject({
      phoneNumber: '+12155550123',
      e164: '+12155550123'
    })
  })

  it('trims text members and leaves blank ones out', () => {
    expect(
      change(contact({ emailAddress: '  ', firstName: ' Jane ', lastName: '', postalCode: ' 17601 ', birthday: ' ' }))
        .fields
    ).toEqual({ firstName: 'Jane', postalCode: '17601' })
  })

  it('writes a postal code mapped as a number out as text', () => {
    expect(change(contact({ postalCode: 17601 })).fields).toEqual({ postalCode: '17601' })
  })

  it('refuses a name that is not text', () => {
    expect(refusal(contact({ firstName: { given: 'Jane' } }))).toBe('First Name {"given":"Jane"} is not text.')
  })

  it.each([
    ['1990-05-17', '1990-05-17T00:00:00'],
    ['1990-05-17T23:30:00-05:00', '1990-05-17T00:00:00'],
    ['1990-05-17 08:00', '1990-05-17T00:00:00'],
    ['5/7/1990', '1990-05-07T00:00:00'],
    ['02/29/2000', '2000-02-29T00:00:00']
  ])('sends the birthday %j as the day at midnight, %j', (birthday, sent) => {
    expect(change(contact({ birthday })).fields).toEqual({ birthday: sent })
  })

  it.each(['17/05/1990', '1990-02-30', 'yesterday', '1990'])(
    'refuses the birthday %j, saying what a date is',
    (birthday) => {
      expect(refusal(contact({ birthday }))).toBe(
        `Birthday "${birthday}" is not a date: use YYYY-MM-DD (optionally with a time) or MM/DD/YYYY.`
      )
    }
  )

  it('refuses a birthday given as a number', () => {
    expect(refusal(contact({ birthday: 19900517 }))).toBe(
      'Birthday 19900517 is not a date: use YYYY-MM-DD (optionally with a time) or MM/DD/YYYY.'
    )
  })

  it('reads the email address trimmed, as the email actions do', () => {
    expect(change(contact({ emailAddress: ' Jane@Example.com ' })).fields).toEqual({
      emailAddress: 'Jane@Example.com'
    })
  })

  it('refuses an email address Listrak would refuse', () => {
    expect(refusal(contact({ emailAddress: 'jane@' }))).toBe('Email Address "jane@" is not a valid email address.')
  })

  it('refuses a bad phone before anything is sent, naming the value and the sender code', () => {
    expect(refusal(contact({ phoneNumber: '555-0123' }))).toBe(
      'Phone Number "555-0123" is not a phone number Listrak can text from sender code 101 (US): it has 7 digits, ' +
        'and a US or Canadian number has 10 (or 11 starting with 1).'
    )
  })

  it("checks the number for the sender code's country", () => {
    expect(refusal(contact({ phoneNumber: '+1 215 555 0123' }), { country: 'GB' })).toContain(
      'its calling code +1 is not +44, the calling code of GB numbers.'
    )
  })

  it('tells every problem of the event in one message: addresses, then values, then the rest', () => {
    expect(
      refusal(
        contact({
          phoneListId: undefined,
          phoneNumber: '(215) 555-0123 x4',
          emailAddress: 'not an email',
          birthday: 'soon',
          profileFieldValues: { '302': 'maybe', '999': 'x', '303': null }
        })
      )
    ).toBe(
      'Phone Number "(215) 555-0123 x4" is not a phone number Listrak can text from sender code 101 (US): it has ' +
        'letters, and a text cannot reach an extension (such as "x12"). ' +
        'Email Address "not an email" is not a valid email address. ' +
        'Profile Field Values: field 303 has the value null, which cannot be sent; use text, a number, true, false or ' +
        '"useAudienceKey"; field 302 ("vip", a check box) takes "on" or "off", not "maybe"; sender code 101 has no ' +
        'profile field 999 (ERROR_INVALID_SEGMENTATION_FIELD_ID). ' +
        'Birthday "soon" is not a date: use YYYY-MM-DD (optionally with a time) or MM/DD/YYYY. ' +
        'SMS List ID is required when Subscribe to SMS List is on.'
    )
  })

  it("refuses a value for a disabled profile field with Listrak's code", () => {
    expect(refusal(contact({ profileFieldValues: { '304': 'x' } }))).toBe(
      'Profile Field Values: field 304 ("retired", a Text field) is "Disabled" in Listrak and takes no value ' +
        '(ERROR_SEGMENTATION_FIELD_DISABLED).'
    )
  })

  it("sends values unchecked when the sender code's fields could not be read", () => {
    const prepared = finishSmsContact(
      readSmsContact(contact({ profileFieldValues: { '999': 'anything' } }), US),
      undefined
    )
    expect(prepared.ok && [...prepared.change.values]).toEqual([[999, 'anything']])
  })

  it('refuses useAudienceKey: the SMS actions read no audience', () => {
    expect(refusal(contact({ profileFieldValues: { '302': 'useAudienceKey' } }))).toBe(
      'Profile Field Values: field 302: "useAudienceKey" needs the event\'s audience membership, but the event has ' +
        'none here: the SMS actions read no audience.'
    )
  })

  it('leaves out keys that are no profile field IDs, and says which', () => {
    expect(change(contact({ profileFieldValues: { test: 'x', '301': 'York' } }))).toMatchObject({
      values: new Map([[301, 'York']]),
      ignored: ['test']
    })
  })

  it.each([0, -1, 2147483648, 1.5])('refuses the sender code ID %j', (senderCodeId) => {
    expect(refusal(contact({ senderCodeId }))).toBe(
      `Sender Code ID ${senderCodeId} must be a whole number from 1 to 2147483647.`
    )
  })

  it('refuses an SMS list ID that is no Listrak ID when subscribing', () => {
    expect(refusal(contact({ phoneListId: 0 }))).toBe('SMS List ID 0 must be a whole number from 1 to 2147483647.')
  })

  it('subscribes with nothing else to write', () => {
    expect(change(contact())).toMatchObject({ subscribe: true, phoneListId: 201, fields: {}, values: new Map() })
  })

  it("names no list when it does not subscribe: the update is the sender code's", () => {
    const update = change(contact({ subscribe: false, phoneListId: 201, firstName: 'Jane' }))
    expect(update.subscribe).toBe(false)
    expect(update).not.toHaveProperty('phoneListId')
  })

  it('takes an update without a list', () => {
    expect(change(contact({ subscribe: false, phoneListId: undefined, lastName: 'Doe' })).fields).toEqual({
      lastName: 'Doe'
    })
  })

  it('refuses an update with nothing to write', () => {
    expect(refusal(contact({ subscribe: false }))).toBe(
      'Nothing to write: Subscribe to SMS List is off, and Email Address, First Name, Last Name, Birthday, Postal ' +
        'Code and Profile Field Values have no values.'
    )
  })

  it('says which keys were left out when they leave an update nothing to write', () => {
    expect(refusal(contact({ subscribe: false, profileFieldValues: { vip: 'on' } }))).toBe(
      'Nothing to write: Subscribe to SMS List is off, and Email Address, First Name, Last Name, Birthday, Postal ' +
        'Code and Profile Field Values (key "vip" is not a profile field ID (whole numbers from 1 to 2147483647)) ' +
        'have no values.'
    )
  })

  it('does not call an update with a refused member one with nothing to write', () => {
    expect(refusal(contact({ subscribe: false, birthday: 'soon' }))).toBe(
      'Birthday "soon" is not a date: use YYYY-MM-DD (optionally with a time) or MM/DD/YYYY.'
    )
  })

  it('resubscribes an opted-out phone only when the mapping says so', () => {
    expect(change(contact()).resubscribeOptedOut).toBe(false)
    expect(change(contact({ resubscribeOptedOut: true })).resubscribeOptedOut).toBe(true)
  })

  it('has nothing to resubscribe without a subscribe', () => {
    expect(
      change(contact({ subscribe: false, firstName: 'Jane', resubscribeOptedOut: true })).resubscribeOptedOut
    ).toBe(false)
  })
})

describe('readSmsUnsubscribe', () => {
  const unsubscribe = (more: Partial<SmsUnsubscribePayload> = {}): SmsUnsubscribePayload => ({
    senderCodeId: 101,
    phoneListId: 201,
    phoneNumber: '+1 215 555 0123',
    ...more
  })

  it('unsubscribes from the list by default', () => {
    expect(readSmsUnsubscribe(unsubscribe(), US)).toEqual({
      ok: true,
      unsubscribe: {
        senderCodeId: 101,
        scope: 'list',
        phoneListId: 201,
        phoneNumber: '2155550123',
        e164: '+12155550123'
      }
    })
  })

  it('opts out of the sender code without naming a list', () => {
    expect(readSmsUnsubscribe(unsubscribe({ scope: 'senderCode' }), US)).toEqual({
      ok: true,
      unsubscribe: { senderCodeId: 101, scope: 'senderCode', phoneNumber: '2155550123', e164: '+12155550123' }
    })
  })

  it('refuses a list unsubscribe without a list', () => {
    expect(readSmsUnsubscribe(unsubscribe({ scope: 'list', phoneListId: undefined }), US)).toEqual({
      ok: false,
      message: 'SMS List ID is required when Unsubscribe From is "list".'
    })
  })

  it('refuses a scope it does not know', () => {
    expect(readSmsUnsubscribe(unsubscribe({ scope: 'everything' }), US)).toEqual({
      ok: false,
      message: 'Unsubscribe From "everything" is not "list" or "senderCode".'
    })
  })

  it('refuses a bad phone and a bad sender code ID together', () => {
    expect(readSmsUnsubscribe(unsubscribe({ senderCodeId: 0, phoneNumber: '12' }), US)).toEqual({
      ok: false,
      message:
        'Phone Number "12" is not a phone number Listrak can text from sender code 0 (US): it has 2 digits, and a US ' +
        'or Canadian number has 10 (or 11 starting with 1). Sender Code ID 0 must be a whole number from 1 to ' +
        '2147483647.'
    })
  })
})

describe('readSmsMessage', () => {
  const text = (more: Partial<SmsMessagePayload> = {}): SmsMessagePayload => ({
    senderCodeId: 101,
    phoneListId: 201,
    transactionalMessageId: 401,
    phoneNumber: '+12155550123',
    messageContent: ' Order A-1 shipped ',
    ...more
  })

  it("reads the design's transactional send: the number national, the content trimmed", () => {
    expect(readSmsMessage(text(), US)).toEqual({
      ok: true,
      send: {
        senderCodeId: 101,
        phoneListId: 201,
        transactionalMessageId: 401,
        message: { phoneNumber: '2155550123', messageContent: 'Order A-1 shipped' }
      }
    })
  })

  it("refuses empty content with Listrak's code", () => {
    expect(readSmsMessage(text({ messageContent: '   ' }), US)).toEqual({
      ok: false,
      message:
        'Message Content is empty, and Listrak sends no empty text (ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE): map ' +
        'it to the text to send.'
    })
  })

  it('refuses missing content', () => {
    expect(readSmsMessage(text({ messageContent: undefined }), US)).toEqual({
      ok: false,
      message: 'Message Content is missing: map it to the text to send.'
    })
  })

  it('refuses content that is not text', () => {
    expect(readSmsMessage(text({ messageContent: ['Order shipped'] }), US)).toEqual({
      ok: false,
      message: 'Message Content ["Order shipped"] is not text.'
    })
  })

  it('keeps a long text whole: Listrak documents no limit', () => {
    const long = 'x'.repeat(2000)
    const prepared = readSmsMessage(text({ messageContent: long }), US)
    expect(prepared.ok && prepared.send.message.messageContent).toBe(long)
  })

  it('refuses a bad phone, bad IDs and empty content in one message', () => {
    expect(
      readSmsMessage(text({ phoneNumber: '+44 7700 900123', transactionalMessageId: 0, messageContent: '' }), US)
    ).toEqual({
      ok: false,
      message:
        'Phone Number "+44 7700 900123" is not a phone number Listrak can text from sender code 101 (US): its calling ' +
        'code +44 is not +1, the calling code of US and Canadian numbers. Transactional Message ID 0 must be a whole ' +
        'number from 1 to 2147483647. Message Content is empty, and Listrak sends no empty text ' +
        '(ERROR_TRANSACTIONAL_MESSAGE_EMPTY_MESSAGE): map it to the text to send.'
    })
  })
})
