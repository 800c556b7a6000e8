import type { SegmentEvent } from '@segment/actions-core'
import { randomUUID } from 'crypto'
import { z } from 'zod'

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const
export type EventType = (typeof EVENT_TYPES)[number]

const id = z.union([z.string().min(1), z.number()]).transform(String)
const object = z.record(z.string(), z.unknown())

// Segment's Tracking API shapes: what each call requires; everything else passes through untouched.
const common = {
  messageId: z.string().min(1).optional(),
  userId: id.nullish(),
  anonymousId: id.nullish(),
  context: object.optional(),
  integrations: object.optional(),
  timestamp: z.string().optional(),
  sentAt: z.string().optional(),
  receivedAt: z.string().optional()
}

const eventSchema = z
  .discriminatedUnion('type', [
    z.looseObject({ ...common, type: z.literal('track'), event: z.string().min(1), properties: object.optional() }),
    z.looseObject({ ...common, type: z.literal('identify'), traits: object.optional() }),
    z.looseObject({ ...common, type: z.literal('page'), name: z.string().optional(), properties: object.optional() }),
    z.looseObject({ ...common, type: z.literal('screen'), name: z.string().optional(), properties: object.optional() }),
    z.looseObject({ ...common, type: z.literal('group'), groupId: id, traits: object.optional() }),
    z.looseObject({ ...common, type: z.literal('alias'), previousId: id, userId: id })
  ])
  .refine((event) => event.userId || event.anonymousId, { message: 'userId or anonymousId is required' })

export type Parsed = { ok: true; event: SegmentEvent } | { ok: false; reason: string }

/** Deeper than any real event; deeper input only exists to break recursive code further down. */
export const MAX_EVENT_DEPTH = 32

/**
 * What is wrong with the event's structure, if anything: nesting beyond `MAX_EVENT_DEPTH`, or a `__proto__` key,
 * which actions-core's mapping would drop without a word (and which only prototype-pollution attempts send).
 */
function structureProblem(value: unknown): string | undefined {
  const stack: [unknown, number, string][] = [[value, 0, '']]
  while (stack.length > 0) {
    const [current, depth, at] = stack.pop() as [unknown, number, string]
    if (typeof current !== 'object' || current === null) continue
    if (depth >= MAX_EVENT_DEPTH) return `the event is nested deeper than ${MAX_EVENT_DEPTH} levels`
    for (const [key, child] of Object.entries(current)) {
      const path = at ? `${at}.${key}` : key
      if (key === '__proto__') return `${path}: the key "__proto__" is not allowed`
      stack.push([child, depth + 1, path])
    }
  }
  return undefined
}

/**
 * Validates one incoming event and completes it as Segment does: a `messageId` and `receivedAt` when it lacks
 * them. `type` is the endpoint's, if the event came through a typed endpoint. A `writeKey` (browser libraries
 * send it in the event) is dropped, so the key is never queued, logged or written to the dead-letter file.
 */
export function parseEvent(input: unknown, maxEventBytes: number, type?: EventType): Parsed {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: 'an event must be a JSON object' }
  }
  const problem = structureProblem(input)
  if (problem) return { ok: false, reason: problem }
  const candidate: Record<string, unknown> = type ? { ...input, type } : { ...input }
  delete candidate.writeKey
  const size = Buffer.byteLength(JSON.stringify(candidate))
  if (size > maxEventBytes) {
    return { ok: false, reason: `the event is ${size} bytes; the limit is ${maxEventBytes} bytes` }
  }
  const result = eventSchema.safeParse(candidate)
  if (!result.success) {
    const reason = result.error.issues
      .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ')
    return { ok: false, reason }
  }
  const event = result.data as unknown as SegmentEvent
  event.messageId ??= randomUUID()
  event.receivedAt ??= new Date().toISOString()
  return { ok: true, event }
}
