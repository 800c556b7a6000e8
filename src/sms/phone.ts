import { quote } from '../profile-fields/rules'

/**
 * Phone numbers as the SMS actions send them. Listrak's SMS API says nothing of the format (`phoneNumber` is a bare
 * string; `ERROR_INVALID_PHONE_NUMBER` says only "invalid format"), so a number is read strictly and sent in one of
 * two spellings, chosen by the `sms_phone_number_format` setting: `national` (10 digits, for US and Canadian sender
 * codes) or `e164`. The number is also a path segment of several routes, so nothing but digits and a `+` is sent.
 */

export const PHONE_FORMATS = ['national', 'e164'] as const
export type PhoneFormat = typeof PHONE_FORMATS[number]

/** What the check of a number depends on: the sender code it is texted from, its country, and the setting. */
export interface PhoneRules {
  senderCodeId: number
  /** `SenderCode.country` (ISO 3166-1 alpha-2); when it could not be read, the US or Canada is assumed. */
  country?: string
  format?: PhoneFormat
}

/** A number as sent (`phone`), and in E.164 (`e164`), the one spelling of a number whatever the format. */
export type CheckedPhone = { ok: true; phone: string; e164: string } | { ok: false; message: string }

/** The countries of the North American Numbering Plan that Listrak's sender codes are in. */
const NANP_COUNTRIES = ['US', 'CA']

/**
 * The calling code of each country whose numbers are taken. Outside the US and Canada a number is checked only for
 * its calling code and an E.164 length, not against the country's numbering plan; other countries' sender codes
 * are refused, since nothing here could tell their numbers from any other.
 */
const CALLING_CODES: Record<string, string> = {
  US: '1',
  CA: '1',
  GB: '44',
  IE: '353',
  AU: '61',
  NZ: '64',
  FR: '33',
  DE: '49'
}

/** E.164: a number has at most 15 digits; no country's numbers have fewer than 8 with their calling code. */
const E164_DIGITS = { min: 8, max: 15 }

/**
 * The two-digit calling codes; with 1 and 7 (the only one-digit codes) they are all that are not three digits long.
 * Calling codes are prefix-free, so this is enough to name the code a number starts with.
 */
const TWO_DIGIT_CODES = new Set([
  20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62,
  63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98
])

/** The calling code an international number (its digits after the `+`) starts with. */
export function callingCodeOf(digits: string): string {
  if (digits.startsWith('1') || digits.startsWith('7')) return digits.slice(0, 1)
  return TWO_DIGIT_CODES.has(Number(digits.slice(0, 2))) ? digits.slice(0, 2) : digits.slice(0, 3)
}

/** The key of a contact in a batch: one sender code, one number, however the events spell it. */
export const phoneKey = (senderCodeId: number, e164: string) => `${senderCodeId}|${e164}`

const EXTENSION_MARKS = /[#*,;]/

/**
 * The number to send for a mapped value (a string, or a whole number of digits), or why Listrak could not text it,
 * naming the field (`label`), the value as it was read and the sender code:
 * - spaces, `()`, `-`, `.` and `/` are dropped, a leading `+` kept; letters (an extension such as "x12": a text
 *   cannot reach one), extension marks and a second `+` are refused;
 * - US and Canadian sender codes take `+1` and 10 digits, `1` and 10 digits, or 10 digits, whose area code and
 *   exchange start with 2 to 9; sent as the 10 digits, or `+1` and them in `e164`;
 * - other sender codes take only a `+`, their country's calling code and the rest of an E.164 number, sent so;
 * - a `+` number of another country than the sender code's is refused, naming both.
 */
export function normalizePhone(raw: unknown, rules: PhoneRules, label = 'Phone Number'): CheckedPhone {
  const country = rules.country?.trim().toUpperCase() || undefined
  const sender =
    `sender code ${rules.senderCodeId}` + (country ? ` (${country})` : ' (its country unknown; US or Canada assumed)')
  // A number as JavaScript writes it: JSON would write NaN as null.
  const asRead = typeof raw === 'number' ? String(raw) : quote(raw)
  const refuse = (why: string): CheckedPhone => ({
    ok: false,
    message: `${label} ${asRead} is not a phone number Listrak can text from ${sender}: ${why}.`
  })

  if (raw === undefined || raw === null) {
    return { ok: false, message: `${label} is missing: map it to the contact's mobile phone number.` }
  }
  if (typeof raw === 'number' && !(Number.isSafeInteger(raw) && raw > 0)) {
    return refuse('a number given as a number must be whole and positive')
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') return refuse('it is neither text nor a number')
  const text = String(raw).trim()
  if (text === '') return { ok: false, message: `${label} is empty: map it to the contact's mobile phone number.` }
  if (/\p{L}/u.test(text)) return refuse('it has letters, and a text cannot reach an extension (such as "x12")')
  const mark = EXTENSION_MARKS.exec(text)
  if (mark) return refuse(`"${mark[0]}" marks an extension or a pause, and a text cannot reach an extension`)
  const pluses = text.split('+').length - 1
  if (pluses > 1) return refuse('it has more than one "+"')
  if (pluses === 1 && !text.startsWith('+')) return refuse('a "+" goes only in front, before the calling code')
  const international = pluses === 1
  const digits = text.replace(/[^0-9]/g, '')
  if (digits === '') return refuse('it has no digits')

  if (country === undefined || NANP_COUNTRIES.includes(country)) {
    return nanp(digits, international, rules.format ?? 'national', refuse)
  }
  const code = CALLING_CODES[country]
  if (code === undefined) {
    const supported = Object.keys(CALLING_CODES).join(', ')
    return refuse(`numbers are checked only for sender codes in ${supported}, and this one is in ${country}`)
  }
  if (!international)
    return refuse(`outside the US and Canada a number starts with "+" and its calling code (+${code})`)
  if (!digits.startsWith(code)) {
    return refuse(`its calling code +${callingCodeOf(digits)} is not +${code}, the calling code of ${country} numbers`)
  }
  if (digits[code.length] === '0') {
    return refuse(`after +${code} comes no trunk 0 (+${code} 7…, not +${code} 07…)`)
  }
  if (digits.length < E164_DIGITS.min || digits.length > E164_DIGITS.max) {
    return refuse(
      `it has ${digits.length} digits, and an international number has ${E164_DIGITS.min} to ${E164_DIGITS.max}`
    )
  }
  return { ok: true, phone: `+${digits}`, e164: `+${digits}` }
}

/** A number of the North American Numbering Plan (US, Canada): 10 digits, `NXX NXX XXXX`. */
function nanp(
  digits: string,
  international: boolean,
  format: PhoneFormat,
  refuse: (why: string) => CheckedPhone
): CheckedPhone {
  if (international && !digits.startsWith('1')) {
    return refuse(`its calling code +${callingCodeOf(digits)} is not +1, the calling code of US and Canadian numbers`)
  }
  if (international && digits.length !== 11) return refuse(`+1 is followed by ${digits.length - 1} digits, not 10`)
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits
  if (national.length !== 10) {
    return refuse(`it has ${digits.length} digits, and a US or Canadian number has 10 (or 11 starting with 1)`)
  }
  if (national[0] < '2') return refuse(`the area code ${national.slice(0, 3)} cannot start with ${national[0]}`)
  if (national[3] < '2') return refuse(`the exchange ${national.slice(3, 6)} cannot start with ${national[3]}`)
  const e164 = `+1${national}`
  return { ok: true, phone: format === 'e164' ? e164 : national, e164 }
}
