import type { DestinationDefinition } from '@segment/actions-core'
import { hookTypeStrings } from '@segment/actions-core/destination-kit'

/**
 * metadata.json as Segment's `./bin/run generate:metadata-payload` writes it into a destination's folder: the
 * public description of the destination (settings, actions, fields, which dynamic fields exist, presets) with
 * functions left out. Every key is written, `null` where the definition has nothing, in the order Segment
 * writes them, so the file in a pull request matches what Segment's pre-commit hook would regenerate.
 *
 * The definition is read as plain data: the command reads any destination, cloud, browser or warehouse, and
 * keeps whatever a field holds.
 */

type Data = { [key: string]: unknown }
type Choice = { label: string; value: unknown }
type Required = boolean | Data

const asData = (value: unknown): Data => (typeof value === 'object' && value !== null ? (value as Data) : {})
const entries = (value: unknown): [string, Data][] => Object.entries(asData(value)).map(([k, v]) => [k, asData(v)])
const orNull = (value: unknown): unknown => value ?? null

function choices(value: unknown): Choice[] | null {
  if (!Array.isArray(value) || value.length === 0) return null
  return value.map((choice: unknown) =>
    typeof choice === 'object' && choice !== null && 'label' in choice && 'value' in choice
      ? (choice as Choice)
      : { label: String(choice), value: choice }
  )
}

const required = (value: unknown): Required =>
  typeof value === 'object' && value !== null ? (value as Data) : value === true

export function serializeAuthField(field: Data) {
  return {
    label: field.label,
    description: field.description,
    type: field.type,
    required: required(field.required),
    multiple: field.multiple ?? false,
    choices: choices(field.choices),
    default: orNull(field.default),
    depends_on: orNull(field.depends_on)
  }
}

function serializeAuthFields(fields: unknown) {
  return Object.fromEntries(entries(fields).map(([key, field]) => [key, serializeAuthField(field)]))
}

export function serializeActionField(field: Data): Data {
  const properties =
    field.type === 'object' && typeof field.properties === 'object' && field.properties !== null
      ? Object.fromEntries(entries(field.properties).map(([key, property]) => [key, serializeActionField(property)]))
      : null
  return {
    label: field.label,
    description: field.description,
    type: field.type,
    required: required(field.required),
    multiple: field.multiple ?? false,
    allowNull: field.allowNull ?? false,
    dynamic: typeof field.dynamic === 'function' ? true : (field.dynamic ?? false),
    default: orNull(field.default),
    choices: choices(field.choices),
    placeholder: orNull(field.placeholder),
    properties,
    category: orNull(field.category),
    depends_on: orNull(field.depends_on),
    readOnly: orNull(field.readOnly),
    hidden: orNull(field.unsafe_hidden),
    minimum: orNull(field.minimum),
    maximum: orNull(field.maximum),
    defaultObjectUI: orNull(field.defaultObjectUI),
    disabledInputMethods: orNull(field.disabledInputMethods),
    displayMode: orNull(field.displayMode),
    format: orNull(field.format),
    additionalProperties: field.additionalProperties ?? false
  }
}

function serializeFields(fields: unknown): Record<string, Data> {
  return Object.fromEntries(entries(fields).map(([key, field]) => [key, serializeActionField(field)]))
}

function serializeSyncMode(value: unknown) {
  if (!value) return null
  const syncMode = asData(value)
  return {
    default: syncMode.default,
    label: syncMode.label ?? 'Sync Mode',
    description: syncMode.description ?? '',
    choices: (Array.isArray(syncMode.choices) ? syncMode.choices : []).map((choice: unknown) => {
      const { value, label } = asData(choice)
      return { value, label }
    })
  }
}

function serializeHooks(value: unknown) {
  const hooks = entries(value)
    .filter(([key]) => (hookTypeStrings as readonly string[]).includes(key))
    .map(([key, hook]) => [
      key,
      {
        label: hook.label ?? key,
        description: hook.description ?? '',
        inputFields: serializeFields(hook.inputFields ?? {}),
        outputFields: serializeFields(hook.outputTypes ?? hook.outputFields ?? {})
      }
    ])
  return hooks.length > 0 ? Object.fromEntries(hooks) : null
}

/** Only the names of dynamic fields whose keys or values are dynamic: `{ field: ['__keys__', '__values__'] }`. */
function serializeDynamicFields(value: unknown): Record<string, string[]> | null {
  if (typeof value !== 'object' || value === null) return null
  const dynamicFields: Record<string, string[]> = {}
  for (const [key, dynamic] of Object.entries(value)) {
    if (typeof dynamic !== 'object' || dynamic === null) continue
    const keys = Object.keys(dynamic).filter((k) => k === '__keys__' || k === '__values__')
    if (keys.length > 0) dynamicFields[key] = keys
  }
  return Object.keys(dynamicFields).length > 0 ? dynamicFields : null
}

export function serializeAction(key: string, action: Data) {
  return {
    title: action.title ?? key,
    description: action.description ?? '',
    platform: action.platform === 'web' ? 'web' : 'cloud',
    defaultSubscription: orNull(action.defaultSubscription),
    hidden: action.hidden ?? false,
    hasPerformBatch: typeof action.performBatch === 'function',
    syncMode: serializeSyncMode(action.syncMode),
    hooks: serializeHooks(action.hooks),
    dynamicFields: serializeDynamicFields(action.dynamicFields),
    fields: serializeFields(action.fields)
  }
}

function serializeAudienceConfig(destination: Data) {
  if (!destination.audienceConfig) return null
  const config = asData(destination.audienceConfig)
  const mode = asData(config.mode)
  return {
    mode:
      mode.type === 'synced'
        ? { type: 'synced', full_audience_sync: mode.full_audience_sync ?? false }
        : { type: 'realtime' },
    audienceFields: serializeAuthFields(destination.audienceFields ?? {}),
    supportsAudienceFunctions: typeof config.createAudience === 'function' && typeof config.getAudience === 'function'
  }
}

export function generatePublicMetadata<S>(slug: string, definition: DestinationDefinition<S> | Data) {
  if (!slug) throw new Error(`metadata.json generation requires a slug but received: "${slug}"`)
  const destination = definition as Data
  const auth = destination.authentication ? asData(destination.authentication) : undefined
  // Cloud destinations keep their settings under authentication; browser and warehouse ones under `settings`.
  const rawFields = auth?.fields ?? destination.settings
  const authentication =
    auth || Object.keys(asData(rawFields)).length > 0
      ? { scheme: auth?.scheme ?? 'custom', fields: serializeAuthFields(rawFields ?? {}) }
      : null
  const presets = (Array.isArray(destination.presets) ? destination.presets : []).map((value: unknown) => {
    const preset = asData(value)
    return {
      name: preset.name,
      type: preset.type,
      partnerAction: preset.partnerAction,
      subscribe: preset.subscribe,
      mapping: preset.mapping ?? {},
      eventSlug: orNull(preset.eventSlug)
    }
  })
  return {
    slug,
    name: destination.name,
    mode: destination.mode ?? 'cloud',
    description: destination.description,
    authentication,
    audienceConfig: serializeAudienceConfig(destination),
    actions: Object.fromEntries(
      entries(destination.actions).map(([key, action]) => [key, serializeAction(key, action)])
    ),
    presets
  }
}

/**
 * The file's text. Segment writes `JSON.stringify(payload, null, 2)` and a newline, then runs its Prettier 2 over
 * the file; its `.prettierignore` ignores every metadata.json, so Prettier leaves the file as written (arrays stay
 * one item per line). This repository's `.prettierignore` does the same. Without a slug Segment falls back to
 * the name of the destination's folder.
 */
export function renderMetadata<S>(definition: DestinationDefinition<S>, folder: string): string {
  return JSON.stringify(generatePublicMetadata(definition.slug ?? folder, definition), null, 2) + '\n'
}
