import { callingCodeOf, normalizePhone, phoneKey, PhoneRules } from '../../src/sms/phone'

const US: PhoneRules = { senderCodeId: 101, country: 'US' }

const accepted = (raw: unknown, rules: PhoneRules) => {
  const national = normalizePhone(raw, { ...rules, format: 'national' })
  const e164 = normalizePhone(raw, { ...rules, format: 'e164' })
  if (!national.ok || !e164.ok) throw new Error(`refused: ${JSON.stringify([national, e164])}`)
  return [national.phone, e164.phone, national.e164]
}

const refusal = (raw: unknown, rules: PhoneRules) => {
  const checked = normalizePhone(raw, rules)
  if (checked.ok) throw new Error(`accepted as ${checked.phone}`)
  return checked.message
}

describe('normalizePhone: the spellings it takes', () => {
  it.each<[unknown, string | undefined, string, string]>([
    // US and Canadian sender codes: 10 digits, 1 and 10 digits, +1 and 10 digits, in any punctuation.
    ['(215) 555-0123', 'US', '2155550123', '+12155550123'],
    ['+1 215.555.0123', 'US', '2155550123', '+12155550123'],
    ['12155550123', 'US', '2155550123', '+12155550123'],
    ['2155550123', 'US', '2155550123', '+12155550123'],
    [2155550123, 'US', '2155550123', '+12155550123'],
    [12155550123, 'US', '2155550123', '+12155550123'],
    ['+12155550123', 'US', '2155550123', '+12155550123'],
    ['  215-555-0123  ', 'US', '2155550123', '+12155550123'],
    ['1-215-555-0123', 'US', '2155550123', '+12155550123'],
    ['215/555/0123', 'US', '2155550123', '+12155550123'],
    ['+1 (215) 555 0123', 'US', '2155550123', '+12155550123'],
    ['\u00a0215 555 0123\t', 'US', '2155550123', '+12155550123'],
    ['(800) 555-0199', 'US', '8005550199', '+18005550199'],
    ['929 200 1000', 'US', '9292001000', '+19292001000'],
    ['416-555-0123', 'CA', '4165550123', '+14165550123'],
    ['+1 416 555 0123', 'ca', '4165550123', '+14165550123'],
    // A sender code whose country could not be read: the US or Canada is assumed.
    ['(215) 555-0123', undefined, '2155550123', '+12155550123'],
    ['(215) 555-0123', ' ', '2155550123', '+12155550123'],
    // Other countries: only a + number of the sender code's country, sent in E.164 whatever the format.
    ['+44 7700 900123', 'GB', '+447700900123', '+447700900123'],
    ['+44 (7700) 900-123', 'GB', '+447700900123', '+447700900123'],
    ['+353 85 123 4567', 'IE', '+353851234567', '+353851234567'],
    ['+61 412 345 678', 'AU', '+61412345678', '+61412345678'],
    ['+64 21 123 456', 'NZ', '+6421123456', '+6421123456'],
    ['+33 6 12 34 56 78', 'FR', '+33612345678', '+33612345678'],
    ['+49 1512 3456789', 'DE', '+4915123456789', '+4915123456789']
  ])('%j from a sender code in %j is sent as %j (national) or %j (e164)', (raw, country, national, e164) => {
    expect(accepted(raw, { senderCodeId: 101, country })).toEqual([national, e164, e164])
  })

  it('sends the national spelling when no format is given', () => {
    expect(normalizePhone('+1 215 555 0123', US)).toEqual({ ok: true, phone: '2155550123', e164: '+12155550123' })
  })
})

describe('normalizePhone: what it refuses, and the message', () => {
  const from = 'is not a phone number Listrak can text from sender code 101 (US)'
  it.each<[unknown, PhoneRules, string]>([
    [
      '555-0123',
      US,
      `Phone Number "555-0123" ${from}: it has 7 digits, and a US or Canadian number has 10 (or 11 starting with 1).`
    ],
    [
      '21555501234',
      US,
      `Phone Number "21555501234" ${from}: it has 11 digits, and a US or Canadian number has 10 (or 11 starting with 1).`
    ],
    [
      '1215555012345',
      US,
      `Phone Number "1215555012345" ${from}: it has 13 digits, and a US or Canadian number has 10 (or 11 starting with 1).`
    ],
    ['+1 215 555 012', US, `Phone Number "+1 215 555 012" ${from}: +1 is followed by 9 digits, not 10.`],
    ['+1 215 555 01234', US, `Phone Number "+1 215 555 01234" ${from}: +1 is followed by 11 digits, not 10.`],
    ['1 (115) 555-0123', US, `Phone Number "1 (115) 555-0123" ${from}: the area code 115 cannot start with 1.`],
    ['(015) 555-0123', US, `Phone Number "(015) 555-0123" ${from}: the area code 015 cannot start with 0.`],
    ['(215) 155-0123', US, `Phone Number "(215) 155-0123" ${from}: the exchange 155 cannot start with 1.`],
    ['215 055 0123', US, `Phone Number "215 055 0123" ${from}: the exchange 055 cannot start with 0.`],
    [
      '+44 7700 900123',
      US,
      `Phone Number "+44 7700 900123" ${from}: its calling code +44 is not +1, the calling code of US and Canadian numbers.`
    ],
    [
      '+353 85 123 4567',
      US,
      `Phone Number "+353 85 123 4567" ${from}: its calling code +353 is not +1, the calling code of US and Canadian numbers.`
    ],
    [
      '+7 912 345 6789',
      US,
      `Phone Number "+7 912 345 6789" ${from}: its calling code +7 is not +1, the calling code of US and Canadian numbers.`
    ],
    [
      '(215) 555-0123 x12',
      US,
      `Phone Number "(215) 555-0123 x12" ${from}: it has letters, and a text cannot reach an extension (such as "x12").`
    ],
    [
      '215-555-0123 ext. 4',
      US,
      `Phone Number "215-555-0123 ext. 4" ${from}: it has letters, and a text cannot reach an extension (such as "x12").`
    ],
    [
      '1-800-FLOWERS',
      US,
      `Phone Number "1-800-FLOWERS" ${from}: it has letters, and a text cannot reach an extension (such as "x12").`
    ],
    [
      '215 555 01é3',
      US,
      `Phone Number "215 555 01é3" ${from}: it has letters, and a text cannot reach an extension (such as "x12").`
    ],
    [
      '2155550123#12',
      US,
      `Phone Number "2155550123#12" ${from}: "#" marks an extension or a pause, and a text cannot reach an extension.`
    ],
    [
      '2155550123,,4',
      US,
      `Phone Number "2155550123,,4" ${from}: "," marks an extension or a pause, and a text cannot reach an extension.`
    ],
    ['++1 215 555 0123', US, `Phone Number "++1 215 555 0123" ${from}: it has more than one "+".`],
    ['+1 215 +555 0123', US, `Phone Number "+1 215 +555 0123" ${from}: it has more than one "+".`],
    ['215 555+0123', US, `Phone Number "215 555+0123" ${from}: a "+" goes only in front, before the calling code.`],
    ['(-)', US, `Phone Number "(-)" ${from}: it has no digits.`],
    ['+', US, `Phone Number "+" ${from}: it has no digits.`],
    [2155550123.5, US, `Phone Number 2155550123.5 ${from}: a number given as a number must be whole and positive.`],
    [
      Number.POSITIVE_INFINITY,
      US,
      `Phone Number Infinity ${from}: a number given as a number must be whole and positive.`
    ],
    [-2155550123, US, `Phone Number -2155550123 ${from}: a number given as a number must be whole and positive.`],
    [Number.NaN, US, `Phone Number NaN ${from}: a number given as a number must be whole and positive.`],
    [true, US, `Phone Number true ${from}: it is neither text nor a number.`],
    [{ phone: '2155550123' }, US, `Phone Number {"phone":"2155550123"} ${from}: it is neither text nor a number.`],
    [['2155550123'], US, `Phone Number ["2155550123"] ${from}: it is neither text nor a number.`],
    ['', US, "Phone Number is empty: map it to the contact's mobile phone number."],
    ['   ', US, "Phone Number is empty: map it to the contact's mobile phone number."],
    [undefined, US, "Phone Number is missing: map it to the contact's mobile phone number."],
    [null, US, "Phone Number is missing: map it to the contact's mobile phone number."],
    [
      '+44 7700 900123',
      { senderCodeId: 101 },
      'Phone Number "+44 7700 900123" is not a phone number Listrak can text from sender code 101 (its country ' +
        'unknown; US or Canada assumed): its calling code +44 is not +1, the calling code of US and Canadian numbers.'
    ],
    [
      '555-0123',
      { senderCodeId: 102, country: 'CA' },
      'Phone Number "555-0123" is not a phone number Listrak can text from sender code 102 (CA): it has 7 digits, ' +
        'and a US or Canadian number has 10 (or 11 starting with 1).'
    ],
    [
      '07700 900123',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "07700 900123" is not a phone number Listrak can text from sender code 103 (GB): outside the US ' +
        'and Canada a number starts with "+" and its calling code (+44).'
    ],
    [
      '+1 215 555 0123',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "+1 215 555 0123" is not a phone number Listrak can text from sender code 103 (GB): its calling ' +
        'code +1 is not +44, the calling code of GB numbers.'
    ],
    [
      '+353 85 123 4567',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "+353 85 123 4567" is not a phone number Listrak can text from sender code 103 (GB): its calling ' +
        'code +353 is not +44, the calling code of GB numbers.'
    ],
    [
      '+44 (0)7700 900123',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "+44 (0)7700 900123" is not a phone number Listrak can text from sender code 103 (GB): after +44 ' +
        'comes no trunk 0 (+44 7…, not +44 07…).'
    ],
    [
      '+44 77',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "+44 77" is not a phone number Listrak can text from sender code 103 (GB): it has 4 digits, and ' +
        'an international number has 8 to 15.'
    ],
    [
      '+44 7700 900123 456789',
      { senderCodeId: 103, country: 'GB' },
      'Phone Number "+44 7700 900123 456789" is not a phone number Listrak can text from sender code 103 (GB): it ' +
        'has 18 digits, and an international number has 8 to 15.'
    ],
    [
      '+81 90 1234 5678',
      { senderCodeId: 104, country: 'JP' },
      'Phone Number "+81 90 1234 5678" is not a phone number Listrak can text from sender code 104 (JP): numbers are ' +
        'checked only for sender codes in US, CA, GB, IE, AU, NZ, FR, DE, and this one is in JP.'
    ]
  ])('refuses %j (%j)', (raw, rules, message) => {
    expect(refusal(raw, rules)).toBe(message)
  })

  it('names the field it reads', () => {
    expect(refusal('555-0123', { ...US, format: 'e164' })).toMatch(/^Phone Number "555-0123" is not/)
    const checked = normalizePhone('', US, 'Mobile')
    expect(!checked.ok && checked.message).toBe("Mobile is empty: map it to the contact's mobile phone number.")
  })

  it('quotes a long value shortened, so a message stays readable', () => {
    expect(refusal('1'.repeat(100), US)).toContain(`Phone Number "${'1'.repeat(59)}… is not`)
  })
})

describe('phoneKey', () => {
  it('is one key for every spelling of a number on one sender code', () => {
    const spellings = ['(215) 555-0123', '+1 215 555 0123', '12155550123', 2155550123]
    const keys = spellings.map((raw) => {
      const checked = normalizePhone(raw, US)
      return checked.ok && phoneKey(US.senderCodeId, checked.e164)
    })
    expect(new Set(keys)).toEqual(new Set(['101|+12155550123']))
  })

  it('tells the same number on two sender codes apart', () => {
    expect(phoneKey(101, '+12155550123')).not.toBe(phoneKey(102, '+12155550123'))
  })
})

describe('callingCodeOf', () => {
  it.each([
    ['12155550123', '1'],
    ['79123456789', '7'],
    ['447700900123', '44'],
    ['4915123456789', '49'],
    ['353851234567', '353'],
    ['97250123456', '972'],
    ['8521234567', '852']
  ])('reads the calling code of %s as +%s', (digits, code) => {
    expect(callingCodeOf(digits)).toBe(code)
  })
})
