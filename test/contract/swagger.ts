import { existsSync, readFileSync } from 'fs'
import path from 'path'

/**
 * Listrak's Swagger descriptions, which sit beside the project (in `../shared/listrak/`) on the team's machines and in
 * CI but are not part of the package, and the few JSON-schema rules their definitions use.
 */

export type Schema = {
  type?: string
  required?: string[]
  properties?: Record<string, Schema>
  items?: Schema
  $ref?: string
  description?: string
  readOnly?: boolean
}

export type Operation = {
  consumes?: string[]
  parameters?: { name: string; in: string; type?: string; format?: string; description?: string }[]
  responses: Record<string, { examples?: Record<string, { error?: string; message?: string }> }>
}

export type Spec = {
  info: { description: string }
  host: string
  basePath: string
  securityDefinitions: Record<string, { tokenUrl?: string }>
  paths: Record<string, Record<string, Operation>>
  definitions: Record<string, Schema>
}

/**
 * One of Listrak's descriptions, when it is beside the project. When it is not, a test says so: Jest prints nothing of
 * a file whose tests are all skipped, not even its warnings, so this test runs instead and the reason shows once, in
 * its name and its warning.
 */
export function listrakSpec(file: string): { present: boolean; spec: Spec } {
  const location = path.join(__dirname, '..', '..', '..', 'shared', 'listrak', file)
  const present = existsSync(location)
  if (!present) {
    it(`skips the contract tests: the Listrak API description (../shared/listrak/${file}) is not beside the project`, () => {
      console.warn(`Listrak contract tests skipped: ${location} is not present.`)
    })
  }
  return { present, spec: present ? (JSON.parse(readFileSync(location, 'utf8')) as Spec) : ({} as Spec) }
}

/**
 * The few JSON-schema rules Listrak's definitions use: type, required, properties, items, $ref. A member that is not
 * required may be null, as Listrak's own examples answer members without a value.
 */
export function violations(value: unknown, schema: Schema, spec: Spec, at = '$'): string[] {
  if (schema.$ref) return violations(value, spec.definitions[schema.$ref.replace('#/definitions/', '')], spec, at)
  const problems: string[] = []
  if (schema.type === 'integer' && !Number.isInteger(value)) problems.push(`${at} is not an integer`)
  if (schema.type === 'string' && typeof value !== 'string') problems.push(`${at} is not a string`)
  if (schema.type === 'boolean' && typeof value !== 'boolean') problems.push(`${at} is not a boolean`)
  if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${at} is not an array`]
    value.forEach((item, i) => problems.push(...violations(item, schema.items ?? {}, spec, `${at}[${i}]`)))
  }
  if (schema.type === 'object') {
    const object = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in object)) problems.push(`${at}.${key} is missing`)
    for (const [key, item] of Object.entries(object)) {
      const property = schema.properties?.[key]
      if (item === null && property && !schema.required?.includes(key)) continue
      if (!property) problems.push(`${at}.${key} is not in the definition`)
      else problems.push(...violations(item, property, spec, `${at}.${key}`))
    }
  }
  return problems
}

/** The values a description names in backquotes: "Allowed values are `A`, `B`, and `C`." */
export const allowed = (description = '') => [...new Set([...description.matchAll(/`(\w+)`/g)].map((m) => m[1]))]

/** The error codes of an operation's examples. */
export const exampleCodes = (operation: Operation) =>
  Object.values(operation.responses)
    .map((r) => r.examples?.['application/json']?.error)
    .filter((code): code is string => Boolean(code))
