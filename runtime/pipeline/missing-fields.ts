import type { InputField } from '@segment/actions-core'

/**
 * How actions-core (through ajv-human-errors) says a required field of the action mapped to nothing for an event.
 * It names the field by its key only, and not where the mapping looked.
 */
const MISSING_FIELD = /The root value is missing the required field '([^']+)'\./g

/** The event paths a mapped value reads, in order, each once: every `@path` in it, however deep in directives. */
export function pathsRead(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return []
  const here = Array.isArray(value) ? [] : [(value as Record<string, unknown>)['@path']]
  const own = here.filter((path): path is string => typeof path === 'string')
  return [...new Set([...own, ...Object.values(value).flatMap(pathsRead)])]
}

function explanation(key: string, field: InputField, mapping: Record<string, unknown>): string {
  const { label } = field
  if (!(key in mapping)) return `${label} is missing: the mapping has no ${key}; map it in the subscription.`
  const value = mapping[key]
  const isDefault = field.default !== undefined && JSON.stringify(value) === JSON.stringify(field.default)
  const source = isDefault
    ? `${key}, the action's default; map ${key} in the subscription to read it from elsewhere`
    : `the subscription's mapping of ${key}`
  const paths = pathsRead(value)
  if (paths.length === 0)
    return `${label} is missing: ${JSON.stringify(value)} gives nothing for this event (${source}).`
  return `${label} is missing: nothing at ${paths.join(' or ')} (${source}).`
}

/**
 * A refusal's reason with each required field of the action that actions-core found missing named by its label,
 * with the event paths its mapping (or the action's default) read. Other words of the reason are left as they are.
 */
export function nameMissingFields(
  reason: string,
  fields: Record<string, InputField>,
  mapping: Record<string, unknown>
): string {
  // The same words name a missing setting (client_id), which is no field of the action: that is left as it is.
  return reason.replace(MISSING_FIELD, (words: string, key: string) =>
    Object.hasOwn(fields, key) ? explanation(key, fields[key], mapping) : words
  )
}
