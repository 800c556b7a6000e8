import path from 'path'
import prettier2 from 'prettier2'
import type { Options } from 'prettier2'

/**
 * Segment's monorepo formats with Prettier 2 (2.4.1 in its lockfile), whose output differs from Prettier 3's in
 * places; what is meant to land there is checked and generated with Prettier 2, under this repository's
 * `.prettierrc.json`, which holds the same options as the monorepo's.
 */

export const ROOT = path.join(__dirname, '..', '..')

export function segmentPrettierOptions(): Options {
  const options = prettier2.resolveConfig.sync(ROOT)
  if (!options) throw new Error('No Prettier configuration found for the repository (.prettierrc.json).')
  return options
}

export { prettier2 }
