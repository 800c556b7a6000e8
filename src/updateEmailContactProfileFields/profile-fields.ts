export type CheckboxValue = 'on' | 'off'

export const USE_AUDIENCE_KEY = 'useAudienceKey'

/** Listrak's profile field IDs are positive 32-bit integers (`int32` in its API). */
const MAX_FIELD_ID = 2147483647
const MAX_QUOTED_VALUE = 60

/** A profile field ID from a `profileFieldValues` key: digits only, from 1 to 2^31-1; anything else is refused. */
export function parseProfileFieldId(key: string): number | undefined {
  if (!/^[0-9]+$/.test(key)) return undefined
  const id = Number(key)
  return id >= 1 && id <= MAX_FIELD_ID ? id : undefined
}

type ParsedValue = CheckboxValue | typeof USE_AUDIENCE_KEY

function parseValue(raw: unknown): ParsedValue | undefined {
  if (raw === true) return 'on'
  if (raw === false) return 'off'
  if (typeof raw !== 'string') return undefined
  const value = raw.trim().toLowerCase()
  if (value === 'on' || value === 'true') return 'on'
  if (value === 'off' || value === 'false') return 'off'
  if (value === USE_AUDIENCE_KEY.toLowerCase()) return USE_AUDIENCE_KEY
  return undefined
}

export interface MembershipSources {
  /** The event's `properties` (track) or `traits` (identify). */
  traitsOrProps?: Record<string, unknown>
  /** The Engage audience key, `context.personas.computation_key` by default. */
  audienceKey?: string
  /** Membership as actions-core resolved it from the raw event, when the runtime supplies it. */
  resolvedMembership?: boolean
  eventName?: string
}

/** A membership, or what the event lacks for one ("no audience key …"). */
export type Membership = { ok: true; member: boolean } | { ok: false; reason: string }

/** Why a field that depends on the membership cannot be set. */
export const membershipUnknown = (reason: string) =>
  `needs the event's audience membership, but the event has ${reason}`

/**
 * Whether the contact is in the audience, from the first source that says: the boolean the audience key
 * names in the event's properties or traits, then actions-core's resolved membership, then the event name.
 */
export function resolveMembership(sources: MembershipSources): Membership {
  const { traitsOrProps, audienceKey, resolvedMembership, eventName } = sources
  const keyed = audienceKey ? traitsOrProps?.[audienceKey] : undefined
  if (typeof keyed === 'boolean') return { ok: true, member: keyed }
  if (typeof resolvedMembership === 'boolean') return { ok: true, member: resolvedMembership }
  const name = eventName?.trim().toLowerCase()
  if (name === 'audience entered') return { ok: true, member: true }
  if (name === 'audience exited') return { ok: true, member: false }
  const keyPart = audienceKey
    ? `no true/false value at "${audienceKey}" in its properties or traits`
    : 'no audience key (context.personas.computation_key is missing)'
  return { ok: false, reason: `${keyPart}, and it is not an "Audience Entered" or "Audience Exited" event` }
}

export type Resolution = { ok: true; values: Map<number, CheckboxValue> } | { ok: false; message: string }

/**
 * Turns a `profileFieldValues` mapping into the on/off value of each profile field. Every problem in the
 * mapping is reported at once, so one fix makes the event pass.
 */
export function resolveProfileFieldValues(
  profileFieldValues: Record<string, unknown>,
  membership: () => Membership,
  { allowEmpty = false } = {}
): Resolution {
  const values = new Map<number, CheckboxValue>()
  const problems: string[] = []
  let audience: Membership | undefined
  for (const [key, raw] of Object.entries(profileFieldValues)) {
    const id = parseProfileFieldId(key)
    if (id === undefined) {
      problems.push(`key ${quote(key)} is not a profile field ID (a whole number from 1 to ${MAX_FIELD_ID})`)
      continue
    }
    const value = parseValue(raw)
    if (value === undefined) {
      problems.push(`field ${id} has the value ${quote(raw)}; use "on", "off", true, false or "${USE_AUDIENCE_KEY}"`)
      continue
    }
    if (value !== USE_AUDIENCE_KEY) {
      values.set(id, value)
      continue
    }
    audience ??= membership()
    if (audience.ok) values.set(id, audience.member ? 'on' : 'off')
    else problems.push(`field ${id}: "${USE_AUDIENCE_KEY}" ${membershipUnknown(audience.reason)}`)
  }
  if (problems.length > 0) return { ok: false, message: `Profile Field Values: ${problems.join('; ')}.` }
  if (values.size === 0 && !allowEmpty) {
    return {
      ok: false,
      message: `Profile Field Values is empty: map at least one profile field ID to "on", "off" or "${USE_AUDIENCE_KEY}".`
    }
  }
  return { ok: true, values }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MAX_EMAIL_LENGTH = 254

/** The address sent to Listrak: trimmed; refused unless it looks like an email address. */
export function normalizeEmail(raw: unknown): { ok: true; email: string } | { ok: false; message: string } {
  const email = typeof raw === 'string' ? raw.trim() : ''
  if (email.length <= MAX_EMAIL_LENGTH && EMAIL.test(email)) return { ok: true, email }
  return { ok: false, message: `Email Address ${quote(raw)} is not a valid email address.` }
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX_QUOTED_VALUE ? `${text.slice(0, MAX_QUOTED_VALUE)}…` : text
}

/** Profile field names and audience keys match without case, spaces, `_` and `-`: "My Audience" is "my_audience". */
export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '')
}
