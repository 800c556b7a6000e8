import { readFileSync } from 'fs'
import { z } from 'zod'
import { INT32_MAX, SEGMENTATION_FIELD_DATA_TYPES } from './contract'
import defaultFixture from './default-fixture.json'

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

/** Adds an issue for each item whose `key` repeats an earlier item's. */
function requireUnique<T>(ctx: z.RefinementCtx, items: T[], key: keyof T & string, path: PropertyKey[]) {
  const seen = new Set<unknown>()
  items.forEach((item, i) => {
    if (seen.has(item[key])) {
      ctx.addIssue({ code: 'custom', path: [...path, i, key], message: `duplicate ${key} in this list` })
    }
    seen.add(item[key])
  })
}

/**
 * What the sandbox starts with: the API credentials it accepts and the lists with their profile fields, events,
 * transactional messages, and banned and suppressed addresses.
 */
export const fixtureSchema = z
  .object({
    credentials: z.array(z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) })).min(1),
    lists: z.array(listSchema)
  })
  .superRefine((fixture, ctx) => {
    const listIds = new Set<number>()
    fixture.lists.forEach((list, l) => {
      if (listIds.has(list.listId))
        ctx.addIssue({ code: 'custom', path: ['lists', l, 'listId'], message: 'duplicate listId' })
      listIds.add(list.listId)
      const fieldIds = new Set<number>()
      list.segmentationFieldGroups.forEach((group, g) =>
        group.segmentationFields.forEach((field, f) => {
          if (fieldIds.has(field.segmentationFieldId)) {
            const path = ['lists', l, 'segmentationFieldGroups', g, 'segmentationFields', f, 'segmentationFieldId']
            ctx.addIssue({ code: 'custom', path, message: 'duplicate segmentationFieldId in this list' })
          }
          fieldIds.add(field.segmentationFieldId)
        })
      )
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
 * The built-in fixture: the manual's list 12345 with check-box fields 6789 and 6790, and more to refuse; two events,
 * two transactional messages, a banned and a suppressed address on list 12345.
 */
export const DEFAULT_FIXTURE: Fixture = parseFixture(defaultFixture, 'default fixture')
