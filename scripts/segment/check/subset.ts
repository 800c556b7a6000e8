import { spawnSync } from 'child_process'
import { promises as fs } from 'fs'
import path from 'path'
import { ROOT } from '../prettier2'
import {
  needsNodeFromNpm,
  SEGMENT_CORE_DEPENDENCIES,
  SEGMENT_NODE,
  SEGMENT_TEST_DATA,
  SEGMENT_VERSIONS,
  subsetPackageJson,
  versionMismatches
} from './pins'

/** A cold install downloads about 100 MB; a slow registry gets this long. */
export const INSTALL_TIMEOUT_MS = 10 * 60_000

/** The actions-core version this repository's lockfile installs: the one the destination is built against. */
async function projectActionsCore(): Promise<string> {
  const lock = JSON.parse(await fs.readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>
  }
  const version = lock.packages['node_modules/@segment/actions-core']?.version
  if (!version) throw new Error('package-lock.json has no @segment/actions-core: run `npm install` first')
  return version
}

const versionIn = async (packageDir: string) =>
  fs.readFile(path.join(packageDir, 'package.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { version?: string }).version,
    () => undefined
  )

/** The folder Node loads `name` from when a module in `from` requires it: the nearest node_modules up to `root`. */
async function packageDir(root: string, from: string, name: string): Promise<string | undefined> {
  for (let at = from; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'node_modules', name)
    if (await versionIn(candidate)) return candidate
    if (at === root || at === path.dirname(at)) return undefined
  }
}

/**
 * The installed versions to compare with the pins: the subset's own packages, actions-core's dependencies as
 * actions-core finds them, ajv's fast-uri, and the Prettier json-schema-to-typescript formats with.
 */
async function installedVersions(dir: string, pinned: Record<string, string>) {
  const installed: Record<string, string | undefined> = {}
  const at = async (key: string, from: string, name: string) => {
    const found = await packageDir(dir, from, name)
    installed[key] = found && (await versionIn(found))
    return found
  }
  for (const name of Object.keys(pinned)) await at(name, dir, name)
  const core = path.join(dir, 'node_modules', '@segment', 'actions-core')
  for (const name of Object.keys(SEGMENT_CORE_DEPENDENCIES)) {
    if (name !== 'fast-uri') await at(`actions-core → ${name}`, core, name)
  }
  const ajv = await packageDir(dir, core, 'ajv')
  await at('actions-core → fast-uri', ajv ?? core, 'fast-uri')
  await at(
    'json-schema-to-typescript → prettier',
    path.join(dir, 'node_modules', 'json-schema-to-typescript'),
    'prettier'
  )
  return installed
}

/**
 * Installs the subset's packages into `dir` with npm, unless the last install there was of the same package.json,
 * then checks that each package is at its pinned version. Returns the Node that runs the gates, and its version.
 */
export async function installSubset(
  dir: string,
  log: (line: string) => void
): Promise<{ node: string; version: string }> {
  const nodeFromNpm = needsNodeFromNpm(process.version)
  const actionsCore = await projectActionsCore()
  const manifest = JSON.stringify(subsetPackageJson({ actionsCore, nodeFromNpm }), null, 2) + '\n'
  const stamp = path.join(dir, 'installed-package.json')
  await fs.mkdir(dir, { recursive: true })
  if ((await fs.readFile(stamp, 'utf8').catch(() => '')) !== manifest) {
    log(`Installing Segment's tool versions into ${dir} (npm install)…`)
    await fs.writeFile(path.join(dir, 'package.json'), manifest)
    // The monorepo installs with yarn 1, which lets ts-jest 27 (peer typescript <5.0) sit beside typescript 5.5.4
    // and installs no peer dependency by itself; npm does the same with --legacy-peer-deps.
    const npm = spawnSync('npm', ['install', '--legacy-peer-deps', '--no-audit', '--no-fund', '--loglevel', 'error'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: INSTALL_TIMEOUT_MS
    })
    if (npm.status !== 0) {
      throw new Error(
        `npm install in ${dir} failed (${npm.error?.message ?? `exit code ${npm.status}`}):\n${npm.stderr}`
      )
    }
    await fs.writeFile(stamp, manifest)
  }

  const pinned: Record<string, string> = {
    ...SEGMENT_VERSIONS,
    '@segment/actions-core': actionsCore,
    prettier2: SEGMENT_VERSIONS.prettier,
    ...(nodeFromNpm ? { node: SEGMENT_NODE } : {})
  }
  const expected: Record<string, string> = {
    ...pinned,
    ...Object.fromEntries(Object.entries(SEGMENT_CORE_DEPENDENCIES).map(([name, v]) => [`actions-core → ${name}`, v])),
    // json-schema-to-typescript formats with the Prettier it finds; only the monorepo's may be found.
    'json-schema-to-typescript → prettier': SEGMENT_VERSIONS.prettier
  }
  const installed = await installedVersions(dir, pinned)
  const wrong = versionMismatches(expected, installed)
  if (wrong.length > 0) {
    await fs.rm(stamp, { force: true })
    throw new Error(`The subset in ${dir} has other versions than Segment's:\n${wrong.join('\n')}`)
  }

  const node = nodeFromNpm ? path.join(dir, 'node_modules', 'node', 'bin', 'node') : process.execPath
  const version = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.trim()
  if (nodeFromNpm && version !== `v${SEGMENT_NODE}`) {
    throw new Error(
      `The npm registry's node ${SEGMENT_NODE} did not install in ${dir} (it runs: ${version || 'nothing'})`
    )
  }
  return { node, version }
}

/** The file `npm pack` names a package's tarball: `@scope/name@1.2.3` as `scope-name-1.2.3.tgz`. */
export const tarballName = (name: string, version: string) =>
  `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`

/**
 * Puts destination-actions' test-data generator where the monorepo has it (SEGMENT_TEST_DATA): the two files from
 * the release's tarball, which `npm pack` fetches from the registry once into the subset's downloads/.
 */
export async function provideTestData(dir: string, log: (line: string) => void): Promise<void> {
  const { name, version, files, target } = SEGMENT_TEST_DATA
  const downloads = path.join(dir, 'downloads')
  const tarball = path.join(downloads, tarballName(name, version))
  if (!(await fs.stat(tarball).catch(() => undefined))) {
    log(`Fetching ${name}@${version} for its test-data generator (npm pack)…`)
    await fs.mkdir(downloads, { recursive: true })
    const args = ['pack', `${name}@${version}`, '--pack-destination', downloads, '--loglevel', 'error']
    const npm = spawnSync('npm', args, { cwd: dir, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS })
    if (npm.status !== 0 || !(await fs.stat(tarball).catch(() => undefined))) {
      throw new Error(
        `npm pack ${name}@${version} failed (${npm.error?.message ?? `exit code ${npm.status}`}):\n${npm.stderr}`
      )
    }
  }
  const lib = path.join(dir, target)
  await fs.mkdir(lib, { recursive: true })
  // Without their folders (package/dist/lib/), straight into the monorepo's.
  const folders = String(files[0].split('/').length - 1)
  const tar = spawnSync('tar', ['-xzf', tarball, '-C', lib, `--strip-components=${folders}`, ...files], {
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS
  })
  if (tar.status !== 0) {
    throw new Error(
      `tar could not take ${files.join(', ')} from ${tarball} (${tar.error?.message ?? tar.stderr.trim()})`
    )
  }
}
