import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'fs'
import os from 'os'
import path from 'path'
import { Ran, run, succeed } from '../run'
import { section, shellBlocks } from './readme'

/**
 * The package as an application gets it, by the README's commands: packed in a clone of this repository, installed
 * from the tarball with actions-core into an empty project with no overrides, then the snippets of examples/ run
 * there and its TypeScript compiled there with the tsconfig and commands of docs/install.md. Nothing in that project
 * comes from this repository's node_modules: TypeScript and Node's types are installed there, as docs/install.md
 * says.
 */

const root = path.join(__dirname, '..', '..')
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const TARBALL = `${manifest.name}-${manifest.version}.tgz`
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
const TYPESCRIPT_5: string = lock.packages['node_modules/typescript'].version

// Installs reach the npm registry (from the cache when they can); everything else is on loopback.
const INSTALL_MS = 240_000
const RUN_MS = 60_000
jest.setTimeout(RUN_MS)

const blocks = shellBlocks(section('Install and register'))
const INSTALL = blocks.find((commands) => commands.includes('npm pack')) ?? []
const COMPILE =
  shellBlocks(section('ES modules and TypeScript', 'docs/install.md')).find((commands) =>
    commands.includes('npx tsc')
  ) ?? []

/** A command's words, its `path/to/….tgz` being the tarball in `folder`. */
const words = (command: string, folder: string) =>
  command.split(/\s+/).map((word) => (word.endsWith('.tgz') ? path.join(folder, path.basename(word)) : word))

/** npm as the docs run it; the flags only keep the output short and use the cache first. */
function npm(command: string, folder: string, cwd: string): Promise<Ran> {
  const [, ...args] = words(command, folder)
  const flags = args[0] === 'install' ? ['--prefer-offline', '--no-audit', '--no-fund'] : []
  return succeed('npm', [...args, ...flags], { cwd, timeout: INSTALL_MS })
}

/** What a clone of this checkout holds: the files git tracks, as they are now, and new files it does not ignore. */
async function copyCheckout(to: string): Promise<void> {
  const { stdout } = await succeed('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root
  })
  for (const file of stdout.split('\0').filter(Boolean)) {
    // Deleted here and not yet committed: a clone after that commit would not have it.
    if (!existsSync(path.join(root, file))) continue
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true })
    copyFileSync(path.join(root, file), path.join(to, file))
  }
}

/** Runs a snippet with the sandbox from `listrak-actions/sandbox` standing in for Listrak, as the README says. */
const HARNESS = `import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startSandbox, DEFAULT_FIXTURE } from 'listrak-actions/sandbox'

const sandbox = await startSandbox()
try {
  const [{ clientId, clientSecret }] = DEFAULT_FIXTURE.credentials
  const { stdout } = await promisify(execFile)(process.execPath, process.argv.slice(2), {
    timeout: ${RUN_MS},
    env: {
      ...process.env,
      LISTRAK_AUTH_URL: sandbox.authUrl,
      LISTRAK_API_URL: sandbox.apiUrl,
      LISTRAK_CLIENT_ID: clientId,
      LISTRAK_CLIENT_SECRET: clientSecret
    }
  })
  const contacts = await (await fetch(sandbox.url + '/_sandbox/lists/12345/contacts')).json()
  console.log(JSON.stringify({ output: stdout.trim(), contacts }))
} finally {
  await sandbox.stop()
}
`

/** Every entry's types, checked as `types.ts` (CommonJS) and `types.mts` (ES module) import them. */
const ENTRY_TYPES = `import listrak from 'listrak-actions'
import type { Settings } from 'listrak-actions'
import { startSandbox, DEFAULT_FIXTURE } from 'listrak-actions/sandbox'
import type { Sandbox } from 'listrak-actions/sandbox'
import { startRuntime, parseConfig } from 'listrak-actions/runtime'
import type { Runtime, RuntimeConfig } from 'listrak-actions/runtime'

const name: string = listrak.name
const settings: Settings = { client_id: 'id', client_secret: 'secret' }
const sandbox: Promise<Sandbox> = startSandbox({ port: 0 })
const clientId: string = DEFAULT_FIXTURE.credentials[0].clientId
const config: RuntimeConfig = parseConfig({ subscriptions: [] })
const runtime: (config: RuntimeConfig) => Promise<Runtime> = startRuntime
export { name, settings, sandbox, clientId, config, runtime }
`

function expectJaneOn(stdout: string) {
  const { output, contacts } = JSON.parse(stdout)
  const results = JSON.parse(output)
  expect(results).toHaveLength(1)
  expect(results[0]).toMatchObject({ status: 201, sent: { emailAddress: 'jane@example.com' } })
  expect(contacts.contacts).toEqual([{ emailAddress: 'jane@example.com', fields: { '6789': 'on' } }])
}

describe('installed from its tarball into an empty project, as the README says', () => {
  let work: string
  let clone: string
  let app: string
  const installs: Ran[] = []

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist', 'package', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
    }
    work = mkdtempSync(path.join(os.tmpdir(), 'listrak-actions-consumer-'))
    clone = path.join(work, 'listrak-actions')
    app = path.join(work, 'app')
    await copyCheckout(clone)
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    for (const command of INSTALL) {
      // `npm ci` in the clone would fetch and build what this checkout already has installed, from the same lock.
      if (command === 'npm ci') symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir')
      else if (command.startsWith('npm install ')) installs.push(await npm(command, clone, app))
      // `npm pack` as it is: its prepack removes dist/ and builds again, in the clone.
      else await npm(command, clone, clone)
    }
    for (const file of ['register.cjs', 'register.mjs', 'register.ts', 'tsconfig.json']) {
      copyFileSync(path.join(root, 'examples', file), path.join(app, file))
    }
    for (const command of COMPILE) if (command.startsWith('npm install ')) installs.push(await npm(command, clone, app))
    writeFileSync(path.join(app, 'harness.mjs'), HARNESS)
  }, 3 * INSTALL_MS)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('installs by the commands the docs give, and on Node 20 without an engine warning', () => {
    expect(INSTALL).toEqual(['npm ci', 'npm pack', `npm install path/to/${TARBALL} @segment/actions-core`])
    expect(COMPILE).toEqual(['npm install --save-dev typescript @types/node', 'npx tsc'])
    expect(installs).toHaveLength(2)
    // light-my-request 6.8 (fastify's) takes cookie 2, which declares Node 22: the package holds it at 6.6.
    for (const { stdout, stderr } of installs) expect(stdout + stderr).not.toContain('EBADENGINE')
    const installed = JSON.parse(readFileSync(path.join(app, 'node_modules', manifest.name, 'package.json'), 'utf8'))
    expect(installed.version).toBe(manifest.version)
  })

  it('leaves the tarball npm pack writes out of git', async () => {
    expect((await run('git', ['check-ignore', TARBALL], { cwd: root })).code).toBe(0)
  })

  it('keeps its command line executable through the build that npm pack runs', async () => {
    // npx runs a local package's bin as a program: without its execute bits, "Permission denied".
    expect(statSync(path.join(clone, 'dist', 'cli.js')).mode & 0o777).toBe(0o755)
    expect((await succeed('./dist/cli.js', ['--version'], { cwd: clone })).stdout.trim()).toBe(manifest.version)
    const { stdout } = await succeed('tar', ['-tvzf', path.join(clone, TARBALL), 'package/dist/cli.js'], { cwd: work })
    expect(stdout).toMatch(/^-rwxr-xr-x /)
    expect((await succeed('npx', ['listrak-actions', '--version'], { cwd: app })).stdout.trim()).toBe(manifest.version)
  })

  it('gets a single actions-core, whose ajv has a fast-uri that refuses "Listrak (Actions)" as a scheme', async () => {
    // fast-uri 3.1.6 and later refuse the schema key "Listrak (Actions):…"; the snippets below pass regardless,
    // because the package registers as "Listrak-Actions".
    const script =
      "const core = require.resolve('@segment/actions-core');" +
      "const ajv = require('module').createRequire(core).resolve('ajv');" +
      "const uri = require('module').createRequire(ajv)('fast-uri');" +
      "console.log(uri.parse('Listrak (Actions):x').error ?? 'accepted')"
    expect((await succeed(process.execPath, ['-e', script], { cwd: app })).stdout.trim()).toBe(
      'URI scheme is malformed.'
    )
    expect(existsSync(path.join(app, 'node_modules', 'listrak-actions', 'node_modules', '@segment'))).toBe(false)
  })

  it("runs the README's CommonJS snippet, examples/register.cjs: jane's field 6789 is on in the sandbox", async () => {
    expectJaneOn((await succeed(process.execPath, ['harness.mjs', 'register.cjs'], { cwd: app })).stdout)
  })

  it('runs the ES module snippet, examples/register.mjs: the default import is the definition itself', async () => {
    expectJaneOn((await succeed(process.execPath, ['harness.mjs', 'register.mjs'], { cwd: app })).stdout)
  })

  it("compiles examples/register.ts with docs/install.md's tsconfig and commands, and runs it", async () => {
    // actions-core's declarations import json-schema's types: without @types/json-schema, TS2307 here.
    await succeed('npx', ['tsc'], { cwd: app })
    expectJaneOn(
      (await succeed(process.execPath, ['harness.mjs', path.join('out', 'register.js')], { cwd: app })).stdout
    )
  })

  it('type-checks every entry\'s types under docs/install.md\'s tsconfig, and as "module": "commonjs" compiles them', async () => {
    writeFileSync(path.join(app, 'types.ts'), ENTRY_TYPES)
    writeFileSync(path.join(app, 'types.mts'), ENTRY_TYPES)
    const variant = (name: string, compilerOptions: object, files: string[]) =>
      writeFileSync(path.join(app, name), JSON.stringify({ extends: './tsconfig.json', compilerOptions, files }))
    // Without skipLibCheck: the package's own declarations (.d.ts and .d.mts) are checked too.
    variant('tsconfig.types.json', { noEmit: true }, ['types.ts', 'types.mts'])
    variant('tsconfig.commonjs.json', { module: 'commonjs', noEmit: true, skipLibCheck: true }, [
      'register.ts',
      'types.ts'
    ])
    await succeed('npx', ['tsc', '-p', 'tsconfig.types.json'], { cwd: app })
    await succeed('npx', ['tsc', '-p', 'tsconfig.commonjs.json'], { cwd: app })
    // TypeScript 5 resolves "commonjs" as Node 10 did, without exports: the subpaths through typesVersions.
    await npm(`npm install --save-dev typescript5@npm:typescript@${TYPESCRIPT_5}`, clone, app)
    const tsc5 = path.join(app, 'node_modules', 'typescript5', 'bin', 'tsc')
    await succeed(process.execPath, [tsc5, '-p', 'tsconfig.commonjs.json'], { cwd: app })
  })

  it('exports the sandbox, the runtime and package.json to require and import alike', async () => {
    const names = (entry: string) =>
      `Object.keys(${entry}).filter((k) => k !== 'default' && k !== '__esModule').sort().join()`
    const cjs = `const s = require('listrak-actions/sandbox'); const r = require('listrak-actions/runtime');
      console.log(JSON.stringify([${names('s')}, ${names('r')}, require('listrak-actions/package.json').version]))`
    const esm = `const s = await import('listrak-actions/sandbox'); const r = await import('listrak-actions/runtime');
      const m = await import('listrak-actions/package.json', { with: { type: 'json' } });
      console.log(JSON.stringify([${names('s')}, ${names('r')}, m.default.version]))`
    const fromRequire = JSON.parse((await succeed(process.execPath, ['-e', cjs], { cwd: app })).stdout)
    const fromImport = JSON.parse(
      (await succeed(process.execPath, ['--input-type=module', '-e', esm], { cwd: app })).stdout
    )
    expect(fromImport).toEqual(fromRequire)
    expect(fromRequire[0].split(',')).toEqual(expect.arrayContaining(['startSandbox', 'DEFAULT_FIXTURE']))
    expect(fromRequire[1].split(',')).toEqual(
      expect.arrayContaining(['startRuntime', 'createPipeline', 'loadConfigFile', 'parseConfig', 'createLogger'])
    )
    expect(fromRequire[2]).toBe(manifest.version)
  })

  it('refuses registration by a second copy of actions-core, so no batch can report 200 unsent', async () => {
    // A folder installed from a path keeps its own node_modules: here, this repository with its actions-core.
    const linked = path.join(work, 'linked')
    mkdirSync(path.join(linked, 'node_modules'), { recursive: true })
    symlinkSync(root, path.join(linked, 'node_modules', 'listrak-actions'), 'dir')
    const script =
      `const { Destination } = require(${JSON.stringify(path.join(app, 'node_modules', '@segment', 'actions-core'))});` +
      "new Destination(require('listrak-actions').default)"
    const ran = await run(process.execPath, ['-e', script], { cwd: linked })
    expect(ran.code).not.toBe(0)
    expect(ran.stderr).toContain('listrak-actions is being called by a different copy of @segment/actions-core')
    expect(ran.stderr).toContain(path.join(app, 'node_modules', '@segment', 'actions-core', 'dist', 'cjs'))
    expect(ran.stderr).toContain(path.join(root, 'node_modules', '@segment', 'actions-core', 'dist', 'cjs'))
    expect(ran.stderr).toContain('npm dedupe')
  })

  it('registers under a name that is a valid URI scheme, and says which', async () => {
    const script = "console.log(require('listrak-actions').default.name)"
    expect((await succeed(process.execPath, ['-e', script], { cwd: app })).stdout.trim()).toBe('Listrak-Actions')
  })
})
