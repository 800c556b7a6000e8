import { fieldsToJsonSchema } from '@segment/actions-core'
import { promises as fs } from 'fs'
import { compile } from 'json-schema-to-typescript'
import path from 'path'
import prettier from 'prettier'
import destination from '../src'

const SRC = path.join(__dirname, '..', 'src')
const BANNER = '// Generated file. DO NOT MODIFY IT BY HAND.'

type Fields = Parameters<typeof fieldsToJsonSchema>[0]

async function render(fields: Fields, name: string, file: string): Promise<string> {
  const schema = fieldsToJsonSchema(fields)
  // Without titles each field's type stays inline under its key, with its description as the doc comment.
  for (const property of Object.values(schema.properties ?? {})) delete property.title
  const types = await compile(schema, name, { bannerComment: BANNER, format: false })
  const options = (await prettier.resolveConfig(file)) ?? {}
  return prettier.format(types, { ...options, filepath: file })
}

/** Every generated-types.ts the destination needs, by path, as `npm run types` writes them. */
export async function renderGeneratedTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const settingsFile = path.join(SRC, 'generated-types.ts')
  files.set(settingsFile, await render(destination.authentication?.fields as Fields, 'Settings', settingsFile))
  for (const [key, action] of Object.entries(destination.actions)) {
    const file = path.join(SRC, key, 'generated-types.ts')
    files.set(file, await render(action.fields, 'Payload', file))
  }
  return files
}

if (require.main === module) {
  renderGeneratedTypes()
    .then(async (files) => {
      for (const [file, content] of files) {
        await fs.writeFile(file, content)
        console.log(`wrote ${path.relative(process.cwd(), file)}`)
      }
    })
    .catch((error) => {
      console.error(error)
      process.exitCode = 1
    })
}
