import { fieldsToJsonSchema, validateSchema } from '@segment/actions-core'
import type { InputField, SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import { ast, lex } from '@segment/fql-ts'
import type { Subscription as Fql } from '@segment/destination-subscriptions'
import { actionOf } from './actions'
import { ConfigError, RuntimeConfig, SubscriptionConfig } from '../config'

export interface CompiledSubscription {
  name: string
  subscribe: string
  /** The action's key; RUNTIME_ACTIONS says how the runtime counts and retries it. */
  partnerAction: string
  /** The configured mapping over the action's field defaults, as Segment stores a saved mapping. */
  mapping: Record<string, unknown>
  batching: boolean
  batchSize: number
  matches(event: SegmentEvent): boolean
}

/** A mapping over the action's field defaults, as Segment stores a saved mapping. */
export function withFieldDefaults(fields: Record<string, InputField>, mapping: Record<string, unknown> = {}) {
  const defaults = Object.entries(fields).flatMap(([key, field]) =>
    field.default === undefined ? [] : [[key, field.default]]
  )
  return { ...Object.fromEntries(defaults), ...mapping }
}

/**
 * Why a subscription's FQL does not parse, if it does not. Segment's matcher reads an incomplete query such as
 * `type = ` as one that matches nothing, without a word; FQL's own parser refuses it.
 */
function fqlProblem(subscribe: string): string | undefined {
  let error: Error | undefined
  try {
    error = ast(lex(subscribe).tokens).error
  } catch (thrown) {
    error = thrown as Error
  }
  if (!error) return undefined
  const detail = error.message.replace(/: \[object Object\]$/, '')
  return `${JSON.stringify(subscribe)} is not valid FQL (${detail}); for example: type = "track" and event = "Order Completed"`
}

/** The runtime's own key in a mapping, beside the action's fields: events per batch for this mapping. */
const BATCH_SIZE_KEY = 'batch_size'
const MAX_BATCH_SIZE = 10_000

/** A mapping directive (`{ "@path": … }`, `{ "@if": … }` …): its value comes from each event. */
const isDirective = (value: unknown) =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.keys(value).some((key) => key.startsWith('@'))

/** Whether a mapped value is, or holds anywhere inside, a directive. */
function holdsDirective(value: unknown): boolean {
  if (isDirective(value)) return true
  if (value === null || typeof value !== 'object') return false
  return Object.values(value).some(holdsDirective)
}

/**
 * What is wrong with a subscription's mapping for its action, each problem naming the key: a key the action has no
 * field for (actions-core would drop it without a word), and a literal value its field does not take, by
 * actions-core's own validation (so a value it would take, such as "12345" for a number, passes). A value that
 * comes from each event is checked when the events arrive; a literal List ID is the config check's to judge, against
 * the account's lists (`listrak-actions check`).
 */
function mappingProblems(subscription: SubscriptionConfig, index: number): string[] {
  const action = actionOf(subscription.partnerAction)
  const named = `subscription "${subscription.name}" (${subscription.partnerAction})`
  const problems: string[] = []
  for (const [key, value] of Object.entries(subscription.mapping)) {
    const at = `subscriptions.${index}.mapping.${key}`
    if (key === BATCH_SIZE_KEY) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_BATCH_SIZE) {
        problems.push(
          `${at}: ${named}: must be a whole number from 1 to ${MAX_BATCH_SIZE}, not ${JSON.stringify(value)}`
        )
      }
      continue
    }
    const field = action.fields[key]
    if (!field) {
      const keys = [...Object.keys(action.fields), BATCH_SIZE_KEY].join(', ')
      problems.push(
        `${at}: ${named}: ${action.title} has no field "${key}", so it would be dropped without a word; its keys are ${keys}`
      )
      continue
    }
    if (key === 'listId' || holdsDirective(value)) continue
    const schema = { ...fieldsToJsonSchema({ [key]: field }), required: [] }
    try {
      validateSchema({ [key]: structuredClone(value) }, schema)
    } catch (error) {
      problems.push(`${at}: ${named}: ${(error as Error).message}`)
    }
  }
  return problems
}

/**
 * Parses every enabled subscription's FQL once, at start, and lays its mapping over its action's field defaults;
 * a bad FQL or mapping is a config error naming the subscription and the key, every problem at once.
 */
export function compileSubscriptions(config: RuntimeConfig): CompiledSubscription[] {
  const names = new Set<string>()
  const problems: string[] = []
  const compiled = config.subscriptions.flatMap((subscription: SubscriptionConfig, index) => {
    if (names.has(subscription.name)) {
      problems.push(`subscriptions.${index}.name: "${subscription.name}" is used twice.`)
      return []
    }
    names.add(subscription.name)
    if (!subscription.enabled) return []
    const problem = fqlProblem(subscription.subscribe)
    const fql: Fql = parseFql(subscription.subscribe)
    if (problem || 'error' in fql) {
      problems.push(`subscriptions.${index}.subscribe: ${problem ?? ('error' in fql ? fql.error.message : '')}`)
      return []
    }
    const mappingProblemsFound = mappingProblems(subscription, index)
    if (mappingProblemsFound.length > 0) {
      problems.push(...mappingProblemsFound)
      return []
    }
    const action = actionOf(subscription.partnerAction)
    const mapping = withFieldDefaults(action.fields, subscription.mapping)
    const batchSize = typeof mapping.batch_size === 'number' ? mapping.batch_size : config.delivery.batchSize
    return [
      {
        name: subscription.name,
        subscribe: subscription.subscribe,
        partnerAction: subscription.partnerAction,
        mapping,
        batching: mapping.enable_batching === true,
        batchSize: Math.max(1, Math.floor(batchSize)),
        matches: (event: SegmentEvent) => validate(fql, event)
      }
    ]
  })
  if (problems.length === 1) throw new ConfigError(`Invalid config: ${problems[0]}`)
  if (problems.length > 1) throw new ConfigError(`Invalid config:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  return compiled
}
