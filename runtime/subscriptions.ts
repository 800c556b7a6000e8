import type { InputField, SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import { ast, lex } from '@segment/fql-ts'
import type { Subscription as Fql } from '@segment/destination-subscriptions'
import { ConfigError, RuntimeConfig, SubscriptionConfig } from './config'

export interface CompiledSubscription {
  name: string
  subscribe: string
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

/** Parses every enabled subscription's FQL once, at start; a bad one is a config error naming it. */
export function compileSubscriptions(
  config: RuntimeConfig,
  fields: Record<string, InputField>
): CompiledSubscription[] {
  const names = new Set<string>()
  return config.subscriptions.flatMap((subscription: SubscriptionConfig, index) => {
    if (names.has(subscription.name)) {
      throw new ConfigError(`Invalid config: subscriptions.${index}.name: "${subscription.name}" is used twice.`)
    }
    names.add(subscription.name)
    if (!subscription.enabled) return []
    const problem = fqlProblem(subscription.subscribe)
    const fql: Fql = parseFql(subscription.subscribe)
    if (problem || 'error' in fql) {
      const reason = problem ?? ('error' in fql ? fql.error.message : '')
      throw new ConfigError(`Invalid config: subscriptions.${index}.subscribe: ${reason}`)
    }
    const mapping = withFieldDefaults(fields, subscription.mapping)
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
}
