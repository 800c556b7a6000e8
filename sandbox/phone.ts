/**
 * Which phone numbers the sandbox takes. Listrak documents no format (`phoneNumber` is a bare string, and
 * `ERROR_INVALID_PHONE_NUMBER` says only "in an invalid format"), so the format is a setting of the sandbox's
 * (`smsPhoneFormat`), to test a client under each reading:
 * - `national` (the default): a sender code of the US or Canada takes 10 digits, `2155550123`;
 * - `e164`: `+1` and 10 digits there, `+12155550123`;
 * - `any`: either.
 * Elsewhere, `national` takes 6 to 15 digits and `e164` a `+` and 7 to 15 digits.
 */
export const SMS_PHONE_FORMATS = ['national', 'e164', 'any'] as const
export type SmsPhoneFormat = (typeof SMS_PHONE_FORMATS)[number]

/** Countries dialled with the North American Numbering Plan: calling code 1, then 10 digits. */
const NANP = new Set(['US', 'CA'])

const SHAPES = {
  nanp: {
    national: { pattern: /^(\d{10})$/, says: '10 digits, e.g. 2155550123' },
    e164: { pattern: /^\+1(\d{10})$/, says: '+1 and 10 digits, e.g. +12155550123' }
  },
  other: {
    national: { pattern: /^(\d{6,15})$/, says: '6 to 15 digits' },
    e164: { pattern: /^(\+[1-9]\d{6,14})$/, says: 'a + and 7 to 15 digits, e.g. +447700900123' }
  }
}

export type PhoneRead = { ok: true; phone: string } | { ok: false; expected: string }

/**
 * Reads a phone number as a sender code of `country` takes it under `format`. The number it gives is the contact's
 * key: the 10 digits of a US or Canadian number, however it was written, so `+12155550123` and `2155550123` are one
 * contact; elsewhere, the number as written.
 */
export function readPhone(raw: string, country: string, format: SmsPhoneFormat): PhoneRead {
  const shapes = NANP.has(country) ? SHAPES.nanp : SHAPES.other
  const allowed = format === 'any' ? [shapes.national, shapes.e164] : [shapes[format]]
  for (const { pattern } of allowed) {
    const match = pattern.exec(raw)
    if (match) return { ok: true, phone: match[1] }
  }
  return { ok: false, expected: allowed.map((shape) => shape.says).join(', or ') }
}

/**
 * Whether `query`, as someone types it into an inspection route, names the stored `phone`: the same digits, or a
 * NANP number with its calling code 1.
 */
export function samePhone(query: string, phone: string): boolean {
  const [asked, stored] = [query, phone].map((text) => text.replace(/\D/g, ''))
  return asked === stored || (stored.length === 10 && asked === `1${stored}`)
}
