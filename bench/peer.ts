import { execFileSync } from 'child_process'
import { existsSync, mkdirSync, readdirSync } from 'fs'
import path from 'path'

/** The official destination, as published on the npm registry. */
export const PEER_PACKAGE = '@segment/action-destinations@3.497.0'
export const CACHE = path.join(__dirname, '.cache')
export const PEER_DIR = path.join(CACHE, 'package', 'dist', 'destinations', 'listrak')

/**
 * Fetches the peer's tarball with `npm pack` (its package cannot be installed whole: one of its dependencies is
 * missing from the registry) and unpacks only its Listrak destination, which the bench loads with this project's
 * own actions-core. Nothing of it is committed.
 */
export function ensurePeer(): string {
  if (existsSync(path.join(PEER_DIR, 'index.js'))) return PEER_DIR
  mkdirSync(CACHE, { recursive: true })
  execFileSync('npm', ['pack', PEER_PACKAGE, '--pack-destination', CACHE, '--silent'], { stdio: 'inherit' })
  const tarball = readdirSync(CACHE).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack ${PEER_PACKAGE} left no tarball in ${CACHE}`)
  execFileSync('tar', ['-xzf', path.join(CACHE, tarball), '-C', CACHE, 'package/dist/destinations/listrak'])
  return PEER_DIR
}
