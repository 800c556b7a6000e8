import type { SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import type { Condition, GroupCondition } from '@segment/destination-subscriptions'
import type { RuntimeConfig, SubscriptionConfig } from '../config'
import { mappedListId } from '../pipeline/delivery'
import { EventType, parseEvent } from '../ingest/events'

/**
 * The serve banner's quick start: a curl of an event the config's subscriptions match, built from their FQL and
 * mapping, and the list it goes to. Pure: the banner prints it.
 */

/** The contact every example event is for. */
const EXAMPLE_EMAIL = 'jane@example.com'
/** The audience of the example config; also the audience key for subscriptions that name none. */
const EXAMPLE_AUDIENCE = 'my_audience'
/** How long the banner's contacts curl lets the sandbox wait for the first import (see `?wait=` there). */
export const CONTACTS_WAIT = '2s'
/** The event types an example event can have: the ones that need nothing beyond what a subscription names. */
const EXAMPLE_TYPES: readonly string[] = ['track', 'identify', 'page', 'screen']

type LeafCondition = Exclude<Condition, GroupCondition>

/** The conditions an event must meet to match: every child of an "and", the first way of an "or". */
function requiredConditions(condition: Condition): LeafCondition[] {
  if (condition.type !== 'group') return [condition]
  return condition.operator === 'and'
    ? condition.children.flatMap(requiredConditions)
    : requiredConditions(condition.children[0])
}

/** Where an event holds what a condition tests. */
function pathOf(condition: LeafCondition): string[] {
  if ('name' in condition) {
    const root = { 'event-property': 'properties', 'event-trait': 'traits', 'event-context': 'context' }[condition.type]
    return [root, ...condition.name.split('.')]
  }
  return [{ 'event-type': 'type', event: 'event', name: 'name', userId: 'userId' }[condition.type]]
}

/** The value that meets a condition, when one value can; the matcher has the last word anyway. */
function meeting(condition: LeafCondition): { path: string[]; value: unknown } | undefined {
  const path = pathOf(condition)
  if (['=', 'number_equals', 'contains', 'starts_with', 'ends_with'].includes(condition.operator))
    return { path, value: condition.value }
  if (condition.operator === 'is_true') return { path, value: true }
  // Text: what such a condition usually asks for is a trait or property that is set at all.
  if (condition.operator === 'exists') return { path, value: 'example' }
  return undefined
}

function setPath(target: Record<string, unknown>, [key, ...rest]: string[], value: unknown): void {
  if (rest.length === 0) {
    target[key] ??= value
    return
  }
  const next = target[key]
  const child = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {}
  target[key] = child
  setPath(child, rest, value)
}

const readPath = (target: unknown, path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], target)

/**
 * An event the subscription matches, for the banner's curl: what its FQL names, Engage's audience shape when it is
 * about audiences (so `useAudienceKey` fields resolve), and the contact's email where the mapping reads it.
 * Undefined when the FQL asks for more than equal values, or the runtime would not take the event.
 */
function exampleEvent(subscription: SubscriptionConfig, maxEventBytes: number): Record<string, unknown> | undefined {
  const fql = parseFql(subscription.subscribe)
  if ('error' in fql) return undefined
  const conditions = requiredConditions(fql)
  const event: Record<string, unknown> = {}
  for (const condition of conditions) {
    const met = meeting(condition)
    if (met) setPath(event, met.path, met.value)
  }
  event.type ??= event.traits ? 'identify' : 'track'
  if (typeof event.type !== 'string' || !EXAMPLE_TYPES.includes(event.type)) return undefined
  setPath(event, ['userId'], 'user-jane')
  const { mapping } = subscription
  const audience =
    conditions.some((c) => c.type === 'event-context' && c.name.startsWith('personas.')) ||
    /^Audience (Entered|Exited)$/.test(String(event.event)) ||
    (mapping.audienceProfileField ?? 'off') !== 'off' ||
    Object.values((mapping.profileFieldValues ?? {}) as Record<string, unknown>).includes('useAudienceKey')
  if (audience) {
    if (event.type === 'track') setPath(event, ['event'], 'Audience Entered')
    const key = String(
      readPath(event, ['context', 'personas', 'computation_key']) ??
        readPath(event, ['properties', 'audience_key']) ??
        EXAMPLE_AUDIENCE
    )
    setPath(event, ['context', 'personas', 'computation_key'], key)
    setPath(event, ['context', 'personas', 'computation_class'], 'audience')
    const member = event.event !== 'Audience Exited'
    if (event.type === 'identify') setPath(event, ['traits', key], member)
    else {
      setPath(event, ['properties', 'audience_key'], key)
      setPath(event, ['properties', key], member)
    }
  }
  const emailPath = (mapping.emailAddress as { '@path'?: unknown } | undefined)?.['@path']
  const at = typeof emailPath === 'string' && /^\$(\.\w+)+$/.test(emailPath) ? emailPath.slice(2).split('.') : undefined
  setPath(event, at ?? ['context', 'traits', 'email'], EXAMPLE_EMAIL)
  const ok = validate(fql, event) && parseEvent(event, maxEventBytes, event.type as EventType).ok
  // In the order Segment's own examples use, so the curl reads top-down.
  const order = ['type', 'event', 'name', 'userId', 'properties', 'traits', 'context']
  return ok ? Object.fromEntries(order.filter((key) => key in event).map((key) => [key, event[key]])) : undefined
}

/** The Audience Entered event of the example config (examples/config.json). */
const EXAMPLE_CONFIG_EVENT = {
  type: 'track',
  userId: 'user-jane',
  event: 'Audience Entered',
  properties: { audience_key: EXAMPLE_AUDIENCE, [EXAMPLE_AUDIENCE]: true },
  context: {
    traits: { email: EXAMPLE_EMAIL },
    personas: { computation_key: EXAMPLE_AUDIENCE, computation_class: 'audience' }
  }
}

/** Quotes a word for a POSIX shell, so a pasted curl sends it as it is. */
export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

/**
 * The shell variable the banner's curl takes the write key from. The banner goes wherever stdout is collected
 * (a terminal's scrollback, a container's logs), so it never prints the key itself.
 */
const WRITE_KEY_VARIABLE = 'WRITE_KEY'
const WRITE_KEY_LINE =
  `The curl sends the write key from $${WRITE_KEY_VARIABLE}: set it to the config's ingest.writeKey first ` +
  `(export ${WRITE_KEY_VARIABLE}=…).`

/**
 * The banner's quick start: a curl of an event the first subscription it can build one for matches, and the list
 * that event goes to. Without one, the example config's event, said to be that.
 */
export function quickStart(
  url: string,
  config: RuntimeConfig
): { lines: string[]; listId?: number; partnerAction?: string } {
  const curl = (event: Record<string, unknown>) => {
    const auth = config.ingest.writeKey ? ` -u "$${WRITE_KEY_VARIABLE}:"` : ''
    const body = shellQuote(JSON.stringify(event))
    return `  curl -s${auth} ${url}/v1/${String(event.type)} -H 'content-type: application/json' -d ${body}`
  }
  const keyLines = config.ingest.writeKey ? [WRITE_KEY_LINE] : []
  for (const subscription of config.subscriptions.filter((s) => s.enabled)) {
    const event = exampleEvent(subscription, config.ingest.maxEventBytes)
    if (!event) continue
    return {
      lines: [`Send an event that subscription "${subscription.name}" matches:`, ...keyLines, curl(event)],
      listId: mappedListId(subscription.mapping, event as unknown as SegmentEvent),
      partnerAction: subscription.partnerAction
    }
  }
  const listed = config.subscriptions.map((s) =>
    mappedListId(s.mapping, EXAMPLE_CONFIG_EVENT as unknown as SegmentEvent)
  )
  return {
    lines: [
      "No example event could be built from this config's subscriptions; this curl is for the example config " +
        '(examples/config.json). Send an event your subscriptions match instead:',
      ...keyLines,
      curl(EXAMPLE_CONFIG_EVENT)
    ],
    listId: listed.find((listId) => listId !== undefined)
  }
}
