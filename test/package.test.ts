import { createTestIntegration } from '@segment/actions-core'
import { execFileSync } from 'child_process'
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'

const root = path.join(__dirname, '..')
const ACTIONS = ['updateEmailContactProfileFields', 'upsertContact', 'unsubscribeContact', 'sendTransactionalMessage']

describe('the built package', () => {
  // `npm test` builds first (pretest); this loads what a runtime would install, not the TypeScript sources.
  it("default-exports the DestinationDefinition from package.json's main", () => {
    const script = `const d = require(${JSON.stringify(root)}).default; console.log(JSON.stringify({ name: d.name, slug: d.slug, actions: Object.keys(d.actions) }))`
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({
      name: 'Listrak-Actions',
      slug: 'actions-listrak',
      actions: ACTIONS
    })
  })

  it("registers with actions-core's Destination", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definition = require(root).default
    const instance = createTestIntegration(definition)
    expect(Object.keys(instance.actions)).toEqual(ACTIONS)
    for (const action of ACTIONS) expect([action, instance.actions[action].hasBatchSupport]).toEqual([action, true])
  })

  it('imports as an ES module: the default import is the definition, not { default }', () => {
    const script = `import listrak from 'listrak-actions'; console.log(JSON.stringify([listrak.name, Object.keys(listrak.actions)]))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual(['Listrak-Actions', ACTIONS])
  })

  it('prints its version', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' })
    expect(out.trim()).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version)
  })
})

describe('the guard against a second copy of actions-core', () => {
  // Stand-ins for another copy's code: what matters to the guard is where the calling code lives.
  let dir: string
  const callers = (build: 'cjs' | 'esm') => {
    const folder = path.join(dir, 'node_modules', '@segment', 'actions-core', 'dist', build, 'destination-kit')
    mkdirSync(folder, { recursive: true })
    const file = path.join(folder, 'caller.js')
    writeFileSync(
      file,
      `exports.register = (definition) => Object.keys(definition.actions).map((slug) => definition.actions[slug])
exports.performBatch = (action) => action.performBatch(() => { throw new Error('sent') }, { payload: [] })`
    )
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as { register(definition: unknown): unknown; performBatch(action: unknown): unknown }
  }

  beforeAll(() => {
    // As the stack names it: the real path, wherever the temporary folder is linked from.
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'listrak-actions-copies-')))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses registration by another copy, naming both and the fix', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definition = require(root).default
    const other = path.join(dir, 'node_modules', '@segment', 'actions-core', 'dist', 'cjs')
    const own = path.dirname(require.resolve('@segment/actions-core'))
    expect(() => callers('cjs').register(definition)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(`calling: ${other}\n  listrak-actions uses: ${own}`) })
    )
    expect(() => callers('cjs').register(definition)).toThrow('npm dedupe')
  })

  it("refuses actions-core's ES module build, with the bundler hint", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(() => callers('esm').register(require(root).default)).toThrow('"require" condition')
  })

  it('refuses a batch run by another copy before anything is sent', () => {
    // A host that builds actions-core's Action from the action itself reads no `definition.actions` from within
    // actions-core: the batch itself is refused.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const action = Object.values(require(root).default.actions)[0]
    expect(() => callers('cjs').performBatch(action)).toThrow('different copy of @segment/actions-core')
  })
})
