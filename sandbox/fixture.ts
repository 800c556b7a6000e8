import { readFileSync } from 'fs'
import { z } from 'zod'
import { INT32_MAX, SEGMENTATION_FIELD_DATA_TYPES } from './contract'
import defaultFixture from './default-fixture.json'
import { INTEGRATIONS } from './integrations'
import { readPhone } from './phone'
import { PHONE_ATTRIBUTE_DATA_TYPES, PHONE_LIST_STATUSES } from './sms-contract'

const id = z.number().int().min(1).max(INT32_MAX)

const fieldSchema = z.object({
  segmentationFieldId: id,
  segmentationFieldName: z.string().min(1),
  dataType: z.enum(SEGMENTATION_FIELD_DATA_TYPES),
  maxLength: z.number().int().positive().default(50)
})

const groupSchema = z.object({
  segmentationFieldGroupId: id,
  segmentationFieldGroupName: z.string().min(1),
  segmentationFields: z.array(fieldSchema).default([])
})

const eventSchema = z.object({
  eventId: id,
  eventName: z.string().min(1),
  eventGroupId: z.number().int().min(0).max(INT32_MAX).default(0)
})

const transactionalMessageSchema = z.object({
  transactionalMessageId: id,
  transactionalMessageName: z.string().min(1),
  subject: z.string().min(1),
  campaignId: z.number().int().min(0).max(INT32_MAX).default(0),
  externalCampaignId: z.string().default('')
})

const listSchema = z.object({
  listId: id,
  listName: z.string().min(1),
  segmentationFieldGroups: z.array(groupSchema).default([]),
  events: z.array(eventSchema).default([]),
  transactionalMessages: z.array(transactionalMessageSchema).default([]),
  /** Addresses banned from the list, and addresses on a suppression list bound to it: neither is ever subscribed. */
  bannedEmailAddresses: z.array(z.string().min(1)).default([]),
  suppressedEmailAddresses: z.array(z.string().min(1)).default([])
})

const phoneAttributeSchema = z.object({
  segmentationFieldId: id,
  segmentationFieldName: z.string().min(1),
  dataType: z.enum(PHONE_ATTRIBUTE_DATA_TYPES),
  /** At most this many characters; null: no limit of the sandbox's. */
  maxLength: z.number().int().positive().nullable().default(null),
  /** Listrak does not list the values; `Disabled` or `Purged` (any case) refuse values, as a disabled field does. */
  statusFlag: z.string().min(1).default('Active')
})

const smsTransactionalMessageSchema = z.object({
  transactionalMessageId: id,
  transactionalMessageName: z.string().min(1),
  transactionalMessageStatus: z.string().min(1).default('Active')
})

const phoneListSchema = z.object({
  phoneListId: id,
  phoneListName: z.string().min(1),
  status: z.enum(PHONE_LIST_STATUSES).default('Active'),
  smsListType: z.string().min(1).default('Standard'),
  /** A new subscription stays `Pending` (`pendingDoubleOptIn`, `pendingAgeGate`): the sandbox gets no replies. */
  requireDoubleOptIn: z.boolean().default(false),
  requireAgeGate: z.boolean().default(false),
  transactionalMessages: z.array(smsTransactionalMessageSchema).default([])
})

const senderCodeSchema = z
  .object({
    senderCodeId: id,
    code: z.string().min(1),
    country: z.string().regex(/^[A-Z]{2}$/, 'give an ISO 3166-1 alpha-2 code, e.g. US'),
    merchantName: z.string().min(1),
    phoneLists: z.array(phoneListSchema).default([]),
    /** Phones banned from the sender code: never created, subscribed or sent to. */
    bannedPhoneNumbers: z.array(z.string()).default([]),
    /** Phones whose service is suspended: never sent to. */
    suspendedPhoneNumbers: z.array(z.string()).default([])
  })
  .superRefine((code, ctx) => {
    for (const key of ['bannedPhoneNumbers', 'suspendedPhoneNumbers'] as const) {
      code[key].forEach((phone, i) => {
        const read = readPhone(phone, code.country, 'any')
        if (read.ok) return
        const message = `${JSON.stringify(phone)} is not a phone number of a ${code.country} sender code: give ${read.expected}`
        ctx.addIssue({ code: 'custom', path: [key, i], message })
      })
    }
    requireUnique(ctx, code.phoneLists, 'phoneListId', ['phoneLists'])
    const messages = code.phoneLists.flatMap((list, l) =>
      list.transactionalMessages.map((item, m) => ({ item, path: ['phoneLists', l, 'transactionalMessages', m] }))
    )
    requireUniqueKeys(ctx, messages, 'transactionalMessageId', 'in this sender code')
  })

/** A coupon code tag in a message's text, which Listrak refuses in a transactional message: `[[coupon]]` and kin. */
export const DEFAULT_COUPON_TAG_PATTERN = '\\[\\[\\s*coupon[^\\]]*\\]\\]'

/**
 * The SMS account: the company's profile fields (they apply to a contact across all its sender codes), the sender
 * codes with their lists and messages, and the pattern of a coupon tag (a regular expression, in any case).
 */
const smsSchema = z
  .object({
    segmentationFields: z.array(phoneAttributeSchema).default([]),
    senderCodes: z.array(senderCodeSchema).default([]),
    couponTagPattern: z
      .string()
      .min(1)
      .default(DEFAULT_COUPON_TAG_PATTERN)
      .refine((pattern) => {
        try {
          new RegExp(pattern, 'i')
          return true
        } catch {
          return false
        }
      }, 'give a regular expression, e.g. \\[\\[coupon\\]\\]')
  })
  .superRefine((sms, ctx) => {
    requireUnique(ctx, sms.segmentationFields, 'segmentationFieldId', ['segmentationFields'])
    requireUnique(ctx, sms.senderCodes, 'senderCodeId', ['senderCodes'])
    // A list belongs to one sender code: the routes tell a list of another sender code from an unknown one.
    const lists = sms.senderCodes.flatMap((code, c) =>
      code.phoneLists.map((item, l) => ({ item, path: ['senderCodes', c, 'phoneLists', l] }))
    )
    requireUniqueKeys(ctx, lists, 'phoneListId', 'across sender codes')
  })

export type SmsFixture = z.output<typeof smsSchema>

/** A client ID and secret, and the type of the integration they belong to: its token opens that API only. */
const credentialSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  integration: z.enum(INTEGRATIONS).default('Email')
})

/** Adds an issue for each item whose `key` repeats an earlier item's. */
function requireUnique<T>(ctx: z.RefinementCtx, items: T[], key: keyof T & string, path: PropertyKey[]) {
  const located = items.map((item, i) => ({ item, path: [...path, i] }))
  requireUniqueKeys(ctx, located, key, 'in this list')
}

/** Adds an issue for each item (at its path) whose `key` repeats an earlier item's; `scope` says where it must not. */
function requireUniqueKeys<T>(
  ctx: z.RefinementCtx,
  items: { item: T; path: PropertyKey[] }[],
  key: keyof T & string,
  scope: string
) {
  const seen = new Set<unknown>()
  for (const { item, path } of items) {
    if (seen.has(item[key]))
      ctx.addIssue({ code: 'custom', path: [...path, key], message: `duplicate ${key} ${scope}` })
    seen.add(item[key])
  }
}

/**
 * What the sandbox starts with: the API credentials it accepts, each of an integration type; the email lists with
 * their profile fields, events, transactional messages, and banned and suppressed addresses; and the SMS account.
 */
export const fixtureSchema = z
  .object({
    credentials: z.array(credentialSchema).min(1),
    /**
     * One pair of credentials for every API, as if Listrak's integration types shared their access: a token of any
     * credential opens every API. Off by default: a token opens its own integration's API only.
     */
    sharedCredentials: z.boolean().default(false),
    lists: z.array(listSchema),
    sms: smsSchema.default({ segmentationFields: [], senderCodes: [], couponTagPattern: DEFAULT_COUPON_TAG_PATTERN })
  })
  .superRefine((fixture, ctx) => {
    const listIds = new Set<number>()
    fixture.lists.forEach((list, l) => {
      if (listIds.has(list.listId))
        ctx.addIssue({ code: 'custom', path: ['lists', l, 'listId'], message: 'duplicate listId' })
      listIds.add(list.listId)
      const fields = list.segmentationFieldGroups.flatMap((group, g) =>
        group.segmentationFields.map((item, f) => ({
          item,
          path: ['lists', l, 'segmentationFieldGroups', g, 'segmentationFields', f]
        }))
      )
      requireUniqueKeys(ctx, fields, 'segmentationFieldId', 'in this list')
      requireUnique(ctx, list.events, 'eventId', ['lists', l, 'events'])
      requireUnique(ctx, list.transactionalMessages, 'transactionalMessageId', ['lists', l, 'transactionalMessages'])
    })
  })

export type Fixture = z.output<typeof fixtureSchema>
export type FixtureInput = z.input<typeof fixtureSchema>

/** Parses a fixture, with errors that name the path of the bad key. */
export function parseFixture(input: unknown, source = 'fixture'): Fixture {
  const result = fixtureSchema.safeParse(input)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  throw new Error(`Invalid sandbox ${source}: ${problems.join('; ')}`)
}

export function loadFixtureFile(file: string): Fixture {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`Cannot read the sandbox fixture ${file}: ${(error as Error).message}`)
  }
  return parseFixture(json, `fixture ${file}`)
}

/**
 * The built-in fixture: an Email, an SMS and a Data credential; the manual's list 12345 with check-box fields 6789 and
 * 6790, and more to refuse; two events, two transactional messages, a banned and a suppressed address on list 12345;
 * SMS sender code 101 with an active, a double opt-in and an inactive list, four profile fields (one disabled), a
 * transactional message, a banned and a suspended phone.
 */
export const DEFAULT_FIXTURE: Fixture = parseFixture(defaultFixture, 'default fixture')
