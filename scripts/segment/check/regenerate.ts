import { promises as fs } from 'fs'
import { createRequire } from 'module'
import path from 'path'
import type { DestinationDefinition } from '@segment/actions-core'
import { renderGeneratedTypes } from '../generated-types'
import { renderMetadata } from '../metadata'
import { run } from '../sync'

/**
 * `regenerate.ts <folder> <out> <result.json>`: the check copies this and the generators beside it into its
 * subset of Segment's monorepo and runs it there, so that the destination folder, the generators' packages
 * (actions-core, json-schema-to-typescript, Prettier 2.4.1 under the name `prettier2`) and Node are the monorepo's.
 * It writes every generated-types.ts and metadata.json into `out`, and into `result.json` what generate:types
 * refuses before it writes anything.
 */

/** generate:types refuses these as settings' keys (lowercased) of an OAuth 2 destination. */
export const RESERVED_FIELD_NAMES = [
  'oauth',
  'oauth2',
  'accesstoken',
  'access-token',
  'acccess_token',
  'refresh-token',
  'refresh_token',
  'token_type',
  'apikey',
  'apisecret',
  'clientsecret',
  'password',
  'secretkey',
  'secret',
  'securitytoken'
]

export function reservedSettings<S>(destination: DestinationDefinition<S>): string[] {
  if (destination.authentication?.scheme !== 'oauth2') return []
  return Object.keys(destination.authentication.fields ?? {}).filter((key) =>
    RESERVED_FIELD_NAMES.includes(key.toLowerCase())
  )
}

if (require.main === module) {
  run(async () => {
    const [folder, out, resultFile] = process.argv.slice(2)
    const load = createRequire(__filename)
    const { default: destination } = load(path.resolve(folder)) as { default: DestinationDefinition<unknown> }
    const problems = reservedSettings(destination).map(
      (key) => `Field definition in destination ${destination.name} is using a reserved name: ${key}`
    )
    const files = await renderGeneratedTypes(destination)
    files.set('metadata.json', renderMetadata(destination, path.basename(folder)))
    for (const [file, content] of files) {
      await fs.mkdir(path.dirname(path.join(out, file)), { recursive: true })
      await fs.writeFile(path.join(out, file), content)
    }
    await fs.writeFile(resultFile, JSON.stringify({ files: [...files.keys()], problems }))
    return 0
  })
}
