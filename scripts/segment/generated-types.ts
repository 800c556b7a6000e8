import { fieldsToJsonSchema } from '@segment/actions-core'
import type { DestinationDefinition } from '@segment/actions-core'
import { hookTypeStrings } from '@segment/actions-core/destination-kit'
import { compile } from 'json-schema-to-typescript'
import { segmentPrettierOptions } from './prettier2'

/**
 * The generated-types.ts files as Segment's `./bin/run generate:types` writes them, so that the destination's
 * folder in Segment's monorepo is unchanged when that command runs there: the fields' JSON schema with TypeScript
 * types, without titles and enums (so choices are plain strings and every type stays inline under its key),
 * compiled by json-schema-to-typescript 10.1.5 and formatted by it with the monorepo's Prettier options.
 */

type JSONSchema = Parameters<typeof compile>[0]
// Settings, action fields and hooks' inputs and outputs: fieldsToJsonSchema reads what they share.
type Fields = Parameters<typeof fieldsToJsonSchema>[0]

export const BANNER = '// Generated file. DO NOT MODIFY IT BY HAND.'

/** Titles would name separate interfaces, enums would make unions: Segment drops both, as deep as objects go. */
function withoutTitlesAndEnums(schema: JSONSchema): JSONSchema {
  const copy = { ...schema }
  delete copy.title
  delete copy.enum
  if (copy.type === 'object' && copy.properties) {
    copy.properties = Object.fromEntries(
      Object.entries(copy.properties).map(([key, property]) => [key, withoutTitlesAndEnums(property)])
    )
  } else if (copy.type === 'array' && copy.items && !Array.isArray(copy.items)) {
    copy.items = withoutTitlesAndEnums(copy.items)
  }
  return copy
}

export async function generateTypes(fields: Fields = {}, name: string): Promise<string> {
  const schema = withoutTitlesAndEnums(fieldsToJsonSchema(fields, { tsType: true }))
  return compile(schema, name, { bannerComment: BANNER, style: segmentPrettierOptions() })
}

/** Hooks' inputs and outputs follow an action's Payload in its file, as Segment appends them. */
async function actionTypes<S>(action: DestinationDefinition<S>['actions'][string]): Promise<string> {
  let types = await generateTypes(action.fields as Fields, 'Payload')
  for (const [hookName, hook] of Object.entries(action.hooks ?? {})) {
    if (!(hookTypeStrings as readonly string[]).includes(hookName)) {
      throw new Error(`Hook name ${hookName} is not a valid ActionHookType`)
    }
    if (hook?.inputFields) types += await generateTypes(hook.inputFields as Fields, `${hookName}Inputs`)
    if (hook?.outputTypes) types += await generateTypes(hook.outputTypes as Fields, `${hookName}Outputs`)
  }
  return types
}

/** Every generated file of the destination, by its path relative to the destination's folder. */
export async function renderGeneratedTypes<S>(destination: DestinationDefinition<S>): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const withAudience = destination as DestinationDefinition<S> & { audienceFields?: Fields }
  let settings = await generateTypes(destination.authentication?.fields, 'Settings')
  if (withAudience.audienceFields && Object.keys(withAudience.audienceFields).length > 0) {
    settings += await generateTypes(withAudience.audienceFields, 'AudienceSettings')
  }
  files.set('generated-types.ts', settings)
  for (const [key, action] of Object.entries(destination.actions)) {
    files.set(`${key}/generated-types.ts`, await actionTypes(action))
  }
  return files
}
