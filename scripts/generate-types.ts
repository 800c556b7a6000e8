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

/** Every generated-types.ts the destination needs, by path. */
async function renderGeneratedTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const settingsFile = path.join(SRC, 'generated-types.ts')
  files.set(settingsFile, await render(destination.authentication?.fields as Fields, 'Settings', settingsFile))
  for (const [key, action] of Object.entries(destination.actions)) {
    const file = path.join(SRC, key, 'generated-types.ts')
    files.set(file, await render(action.fields, 'Payload', file))
  }
  return files
}

/** Writes the files; with `--check`, only lists the stale ones and fails if there are any. */
async function main(check: boolean): Promise<number> {
  const stale: string[] = []
  for (const [file, content] of await renderGeneratedTypes()) {
    const current = await fs.readFile(file, 'utf8').catch(() => '')
    if (current === content) continue
    stale.push(path.relative(process.cwd(), file))
    if (!check) await fs.writeFile(file, content)
  }
  if (check && stale.length > 0) {
    console.error(`Stale generated types (run \`npm run types\`): ${stale.join(', ')}`)
    return 1
  }
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : 'generated types are up to date')
  return 0
}

main(process.argv.includes('--check')).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
