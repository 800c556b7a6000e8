import { execFile } from 'child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'

/**
 * The package as an application gets it: packed, installed from the tarball with actions-core into an empty
 * project with no overrides, then the README's snippets run there. Only TypeScript and Node's types come from this
 * repository. `npm test` builds first; the tarball is packed from that build.
 */

const root = path.join(__dirname, '..', '..')
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
const CORE_VERSION: string = lock.packages['node_modules/@segment/actions-core'].version
const TYPESCRIPT = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

// Installs reach the npm registry (from the cache when they can); everything else is on loopback.
const INSTALL_MS = 240_000
const RUN_MS = 60_000
jest.setTimeout(RUN_MS)

interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** A child process that ends by itself (or is killed at `timeout`); its exit code instead of an exception. */
function run(file: string, args: string[], cwd: string, timeout = RUN_MS): Promise<Ran> {
  // npm hands its own prefix and package settings to the scripts it runs (`npm test`): a nested npm or script
  // must see the consumer's folder only.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(config_(local_|global_)?prefix$|package_|lifecycle_)/i.test(key)
    )
  )
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr: error && !stderr ? error.message : stderr })
    })
  })
}

async function succeed(file: string, args: string[], cwd: string, timeout = RUN_MS): Promise<string> {
  const ran = await run(file, args, cwd, timeout)
  if (ran.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${ran.code}:\n${ran.stderr}${ran.stdout}`)
  return ran.stdout
}

const npmInstall = (args: string[], cwd: string) =>
  succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], cwd, INSTALL_MS)

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

describe('installed from its tarball into an empty project', () => {
  let work: string
  let app: string

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist', 'package', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
    }
    work = mkdtempSync(path.join(os.tmpdir(), 'listrak-actions-consumer-'))
    // The build is already there: packing without the prepack build leaves dist/ alone for the other tests.
    const [packed] = JSON.parse(
      await succeed('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)
    )
    app = path.join(work, 'app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    await npmInstall([path.join(work, packed.filename), `@segment/actions-core@${CORE_VERSION}`], app)
    for (const file of ['register.cjs', 'register.mjs', 'register.ts']) {
      copyFileSync(path.join(root, 'examples', file), path.join(app, file))
    }
    writeFileSync(path.join(app, 'harness.mjs'), HARNESS)
  }, INSTALL_MS + RUN_MS)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('gets a single actions-core, whose ajv has a fast-uri that refuses "Listrak (Actions)" as a scheme', async () => {
    // fast-uri 3.1.6 and later refuse the schema key "Listrak (Actions):…"; the snippets below pass regardless,
    // because the package registers as "Listrak-Actions".
    const script =
      "const core = require.resolve('@segment/actions-core');" +
      "const ajv = require('module').createRequire(core).resolve('ajv');" +
      "const uri = require('module').createRequire(ajv)('fast-uri');" +
      "console.log(uri.parse('Listrak (Actions):x').error ?? 'accepted')"
    expect((await succeed(process.execPath, ['-e', script], app)).trim()).toBe('URI scheme is malformed.')
    expect(existsSync(path.join(app, 'node_modules', 'listrak-actions', 'node_modules', '@segment'))).toBe(false)
  })

  it("runs the README's CommonJS snippet: jane's field 6789 is on in the sandbox", async () => {
    expectJaneOn(await succeed(process.execPath, ['harness.mjs', 'register.cjs'], app))
  })

  it("runs the README's ES module snippet: the default import is the definition itself", async () => {
    expectJaneOn(await succeed(process.execPath, ['harness.mjs', 'register.mjs'], app))
  })

  it("type-checks the README's TypeScript snippet under strict, and runs it", async () => {
    // This repository's TypeScript and Node types; the rest (actions-core, listrak-actions) from the app.
    const types = ['--typeRoots', path.join(root, 'node_modules', '@types'), '--types', 'node']
    writeFileSync(path.join(app, 'types.ts'), ENTRY_TYPES)
    writeFileSync(path.join(app, 'types.mts'), ENTRY_TYPES)
    await Promise.all([
      // Without skipLibCheck: the package's own declarations (.d.ts and .d.mts) are checked too.
      succeed(
        process.execPath,
        [
          TYPESCRIPT,
          '--strict',
          '--module',
          'nodenext',
          '--target',
          'es2022',
          ...types,
          '--outDir',
          'out',
          'register.ts',
          'types.ts',
          'types.mts'
        ],
        app
      ),
      // "module": "commonjs" resolves as Node 10 did, without exports: the subpaths through typesVersions.
      succeed(
        process.execPath,
        [
          TYPESCRIPT,
          '--strict',
          '--module',
          'commonjs',
          '--target',
          'es2022',
          '--noEmit',
          '--skipLibCheck',
          ...types,
          'register.ts',
          'types.ts'
        ],
        app
      )
    ])
    expectJaneOn(await succeed(process.execPath, ['harness.mjs', path.join('out', 'register.js')], app))
  })

  it('exports the sandbox, the runtime and package.json to require and import alike', async () => {
    const names = (entry: string) =>
      `Object.keys(${entry}).filter((k) => k !== 'default' && k !== '__esModule').sort().join()`
    const cjs = `const s = require('listrak-actions/sandbox'); const r = require('listrak-actions/runtime');
      console.log(JSON.stringify([${names('s')}, ${names('r')}, require('listrak-actions/package.json').version]))`
    const esm = `const s = await import('listrak-actions/sandbox'); const r = await import('listrak-actions/runtime');
      const m = await import('listrak-actions/package.json', { with: { type: 'json' } });
      console.log(JSON.stringify([${names('s')}, ${names('r')}, m.default.version]))`
    const fromRequire = JSON.parse(await succeed(process.execPath, ['-e', cjs], app))
    const fromImport = JSON.parse(await succeed(process.execPath, ['--input-type=module', '-e', esm], app))
    expect(fromImport).toEqual(fromRequire)
    expect(fromRequire[0].split(',')).toEqual(expect.arrayContaining(['startSandbox', 'DEFAULT_FIXTURE']))
    expect(fromRequire[1].split(',')).toEqual(
      expect.arrayContaining(['startRuntime', 'createPipeline', 'loadConfigFile', 'parseConfig', 'createLogger'])
    )
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version
    expect(fromRequire[2]).toBe(version)
    expect((await succeed(path.join(app, 'node_modules', '.bin', 'listrak-actions'), ['--version'], app)).trim()).toBe(
      version
    )
  })

  it('refuses registration by a second copy of actions-core, so no batch can report 200 unsent', async () => {
    // A folder installed from a path keeps its own node_modules: here, this repository with its actions-core.
    const linked = path.join(work, 'linked')
    mkdirSync(path.join(linked, 'node_modules'), { recursive: true })
    symlinkSync(root, path.join(linked, 'node_modules', 'listrak-actions'), 'dir')
    const script =
      `const { Destination } = require(${JSON.stringify(path.join(app, 'node_modules', '@segment', 'actions-core'))});` +
      "new Destination(require('listrak-actions').default)"
    const ran = await run(process.execPath, ['-e', script], linked)
    expect(ran.code).not.toBe(0)
    expect(ran.stderr).toContain('listrak-actions is being called by a different copy of @segment/actions-core')
    expect(ran.stderr).toContain(path.join(app, 'node_modules', '@segment', 'actions-core', 'dist', 'cjs'))
    expect(ran.stderr).toContain(path.join(root, 'node_modules', '@segment', 'actions-core', 'dist', 'cjs'))
    expect(ran.stderr).toContain('npm dedupe')
  })

  it('registers under a name that is a valid URI scheme, and says which', async () => {
    const script = "console.log(require('listrak-actions').default.name)"
    expect((await succeed(process.execPath, ['-e', script], app)).trim()).toBe('Listrak-Actions')
  })
})
