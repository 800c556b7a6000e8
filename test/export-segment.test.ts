import { spawnSync, SpawnSyncReturns } from 'child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'fs'
import os from 'os'
import path from 'path'
import { JEST_SETUP_FILE } from '../scripts/segment/check/config'
import { STAGES } from '../scripts/segment/stages'

/**
 * `npm run export:segment` writes the series of pull requests to Segment, a folder a stage. Here each stage's folder
 * is put into a temporary project that stands in for destination-actions: its node_modules holds only what the destination and its
 * tests may use (actions-core, zod, nock) and the tooling that runs them (jest, ts-jest, typescript and their
 * type packages), so an import of anything else fails; its test setup is destination-actions', the file
 * test/segment/ runs with here. Every child process has a time limit and the project is removed afterwards.
 */

const root = path.join(__dirname, '..')
const PACKAGES = ['@segment/actions-core', 'zod', 'nock']
const TOOLING = ['jest', 'ts-jest', 'typescript', '@types/jest', '@types/node']
const CHILD_TIMEOUT_MS = 120_000

let series: string
let exported: SpawnSyncReturns<string>
/** Each stage's project, where its folder sits at src/destinations/listrak/. */
const projects = new Map<string, string>()
const FIRST = STAGES[0]
const LAST = STAGES[STAGES.length - 1]
const folderOf = (stage: { name: string }) => path.join(series, stage.name, 'listrak')

function run(command: string, args: string[], cwd: string) {
  return spawnSync(process.execPath, [command, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    // NODE_PATH would let the project find packages beside its node_modules.
    env: { ...process.env, NODE_PATH: '', FORCE_COLOR: '0' }
  })
}

const exportTo = (...args: string[]) => run(require.resolve('tsx/cli'), ['scripts/export-segment.ts', ...args], root)

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

/** A project laid out like destination-actions, with its compiler options and its jest settings. */
function makeProject(dir: string) {
  for (const name of [...PACKAGES, ...TOOLING]) {
    const link = path.join(dir, 'node_modules', name)
    mkdirSync(path.dirname(link), { recursive: true })
    symlinkSync(path.join(root, 'node_modules', name), link, 'dir')
  }
  mkdirSync(path.join(dir, 'test'))
  copyFileSync(JEST_SETUP_FILE, path.join(dir, 'test', 'setup-after-env.ts'))
  // The snapshot tests' generator is destination-actions' src/lib/test-data; its declaration lets them type-check.
  mkdirSync(path.join(dir, 'src', 'lib'), { recursive: true })
  copyFileSync(
    path.join(root, 'test', 'monorepo', 'lib', 'test-data.d.ts'),
    path.join(dir, 'src', 'lib', 'test-data.d.ts')
  )
  const compilerOptions = {
    module: 'commonjs',
    target: 'es2020',
    lib: ['es2020'],
    moduleResolution: 'node',
    esModuleInterop: true,
    resolveJsonModule: true,
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    strictPropertyInitialization: false,
    useUnknownInCatchVariables: false,
    skipLibCheck: true,
    // ts-jest there compiles each file on its own.
    isolatedModules: true,
    types: ['node', 'jest'],
    noEmit: true
  }
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src', 'test'] }))
  const jestConfig = {
    rootDir: dir,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': 'ts-jest' },
    moduleFileExtensions: ['ts', 'js', 'json'],
    setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
    // The snapshot tests need the generator itself, which only the monorepo has: `npm run check:segment` runs them.
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '__tests__/__helpers__/', '/snapshot\\.test\\.ts$'],
    cacheDirectory: path.join(dir, '.jest-cache'),
    watchman: false
  }
  writeFileSync(path.join(dir, 'jest.config.js'), `module.exports = ${JSON.stringify(jestConfig, null, 2)}\n`)
}

beforeAll(() => {
  series = mkdtempSync(path.join(os.tmpdir(), 'listrak-series-'))
  exported = exportTo(series)
  for (const stage of STAGES) {
    const project = mkdtempSync(path.join(os.tmpdir(), `listrak-segment-${stage.name}-`))
    cpSync(folderOf(stage), path.join(project, 'src', 'destinations', 'listrak'), { recursive: true })
    makeProject(project)
    projects.set(stage.name, project)
  }
}, CHILD_TIMEOUT_MS)

afterAll(() => {
  for (const dir of [series, ...projects.values()]) rmSync(dir, { recursive: true, force: true })
})

const segmentTests = path.join(root, 'test', 'segment')
/** A stage folder's tests. */
const testsOf = (stage: { name: string }) => filesUnder(folderOf(stage)).filter((file) => file.includes('__tests__/'))
const sourcesOf = (stage: { name: string }) =>
  filesUnder(folderOf(stage)).filter((file) => !file.includes('__tests__/'))
const read = (stage: { name: string }, file: string) => readFileSync(path.join(folderOf(stage), file), 'utf8')
const otherActions = (stage: { actions: string[] }) => LAST.actions.filter((action) => !stage.actions.includes(action))

describe('npm run export:segment', () => {
  it('writes a folder and a PULL_REQUEST.md beside it for each stage, and lists them', () => {
    expect(exported.stderr).toBe('')
    expect(exported.status).toBe(0)
    expect(readdirSync(series).sort()).toEqual(STAGES.map((stage) => stage.name))
    for (const stage of STAGES) {
      expect(readdirSync(path.join(series, stage.name)).sort()).toEqual(['PULL_REQUEST.md', 'listrak'])
      expect(readFileSync(path.join(series, stage.name, 'PULL_REQUEST.md'), 'utf8')).toBe(
        readFileSync(path.join(root, 'scripts', 'segment', 'pull-requests', stage.pullRequest), 'utf8')
      )
      expect(filesUnder(folderOf(stage)).filter((file) => file.endsWith('.md'))).toEqual([])
    }
    const files = filesUnder(folderOf(LAST))
    expect(files).toEqual(
      expect.arrayContaining([
        'index.ts',
        'generated-types.ts',
        'metadata.json',
        'versioning-info.ts',
        'updateEmailContactProfileFields/index.ts',
        'updateEmailContactProfileFields/generated-types.ts',
        '__tests__/authentication.test.ts',
        '__tests__/snapshot.test.ts',
        '__tests__/__snapshots__/snapshot.test.ts.snap',
        'updateEmailContactProfileFields/__tests__/index.test.ts',
        'updateEmailContactProfileFields/__tests__/snapshot.test.ts',
        'updateEmailContactProfileFields/__tests__/__snapshots__/snapshot.test.ts.snap'
      ])
    )
    for (const file of files) expect(exported.stdout).toContain(file)
  })

  it('gives the first stage only Update Email Contact Profile Fields, its preset and its tests', () => {
    expect(FIRST.actions).toEqual(['updateEmailContactProfileFields'])
    const files = filesUnder(folderOf(FIRST))
    for (const action of [...otherActions(FIRST), 'contacts']) {
      expect(files.filter((file) => file.startsWith(`${action}/`))).toEqual([])
    }
    const metadata = JSON.parse(read(FIRST, 'metadata.json')) as {
      actions: Record<string, unknown>
      presets: { partnerAction: string }[]
    }
    expect(Object.keys(metadata.actions)).toEqual(FIRST.actions)
    expect(metadata.presets.map((preset) => preset.partnerAction)).toEqual(FIRST.actions)
    for (const file of sourcesOf(FIRST).filter((f) => f.endsWith('.ts'))) {
      for (const action of otherActions(FIRST))
        expect([file, read(FIRST, file)]).not.toEqual([file, expect.stringContaining(action)])
    }
    for (const file of testsOf(FIRST).filter((f) => f.endsWith('.snap'))) {
      for (const action of otherActions(FIRST))
        expect([file, read(FIRST, file)]).not.toEqual([file, expect.stringContaining(action)])
    }
    expect(read(FIRST, 'presets.ts')).toContain('Sync Engage audience to a check-box field')
    expect(read(FIRST, 'index.ts')).toContain(FIRST.description)
  })

  it('builds each stage on the one before: its files are all there, and its actions', () => {
    for (const [before, stage] of STAGES.slice(1).map((s, i) => [STAGES[i], s])) {
      expect(stage.actions).toEqual(expect.arrayContaining(before.actions))
      expect(filesUnder(folderOf(stage))).toEqual(expect.arrayContaining(filesUnder(folderOf(before))))
      for (const file of sourcesOf(before).filter((f) => f.startsWith(`${before.actions[0]}/`))) {
        expect([file, read(stage, file)]).toEqual([file, read(before, file)])
      }
    }
  })

  it("gives the last stage every action, with src/'s sources byte for byte", () => {
    for (const file of sourcesOf(LAST).filter((f) => f !== 'metadata.json' && !f.endsWith('generated-types.ts'))) {
      expect([file, read(LAST, file)]).toEqual([file, readFileSync(path.join(root, 'src', file), 'utf8')])
    }
    for (const file of ['metadata.json', 'generated-types.ts', 'upsertContact/generated-types.ts']) {
      expect([file, read(LAST, file)]).toEqual([file, readFileSync(path.join(root, 'src', file), 'utf8')])
    }
  })

  it('lays the tests out as test/segment/ holds them: test/segment/X is X', () => {
    expect(testsOf(LAST)).toEqual(filesUnder(segmentTests))
    expect(testsOf(FIRST)).toEqual(
      filesUnder(segmentTests).filter((file) => !otherActions(FIRST).some((action) => file.startsWith(`${action}/`)))
    )
  })

  it("copies the last stage's snapshots as they are", () => {
    const snapshots = testsOf(LAST).filter((file) => file.endsWith('.snap'))
    expect(snapshots.length).toBeGreaterThan(0)
    for (const file of snapshots) {
      expect([file, read(LAST, file)]).toEqual([file, readFileSync(path.join(segmentTests, file), 'utf8')])
    }
  })

  it("points the tests at the folder instead of src/, and the generator's import at the monorepo's", () => {
    for (const file of testsOf(LAST).filter((f) => f.endsWith('.ts'))) {
      expect([file, read(LAST, file)]).not.toEqual([file, expect.stringMatching(/\/src\b|monorepo/)])
    }
    expect(read(LAST, '__tests__/authentication.test.ts')).toContain("import Destination from '../index'")
    expect(read(LAST, 'upsertContact/__tests__/index.test.ts')).toContain("import Destination from '../../index'")
    // destination-actions' src/lib/test-data, from src/destinations/listrak/__tests__/ and from an action's.
    expect(read(LAST, '__tests__/snapshot.test.ts')).toContain(
      "import { generateTestData } from '../../../lib/test-data'"
    )
    expect(read(LAST, 'upsertContact/__tests__/snapshot.test.ts')).toContain(
      "import { generateTestData } from '../../../../lib/test-data'"
    )
  })

  it('refuses a folder that is not empty, unless --force', () => {
    const refused = exportTo(series)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('is not empty')
    expect(exportTo(series, '--force').status).toBe(0)
  })

  it('writes one stage with --stage, by number or name, and refuses a stage there is not', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'listrak-stage-'))
    try {
      const one = exportTo('--stage', '1', path.join(dir, 'listrak'))
      expect(one.status).toBe(0)
      expect(filesUnder(path.join(dir, 'listrak'))).toEqual(filesUnder(folderOf(FIRST)))
      const again = exportTo('--stage', FIRST.name, path.join(dir, 'listrak'), '--force')
      expect(again.status).toBe(0)
      const unknown = exportTo('--stage', '9', path.join(dir, 'other'))
      expect(unknown.status).toBe(2)
      expect(unknown.stderr).toContain('No stage "9"')
      expect(existsSync(path.join(dir, 'other'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.each(STAGES.map((stage) => [stage.name]))('stage %s, alone with actions-core, nock and zod', (name) => {
  const project = () => projects.get(name) ?? ''

  it('type-checks under destination-actions compiler options', () => {
    const tsc = run(
      path.join(project(), 'node_modules', 'typescript', 'bin', 'tsc'),
      ['-p', 'tsconfig.json'],
      project()
    )
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)
  })

  it('passes its own tests', () => {
    expect(existsSync(path.join(project(), 'node_modules', 'nock'))).toBe(true)
    const report = path.join(project(), 'jest-report.json')
    const jest = run(
      path.join(project(), 'node_modules', 'jest', 'bin', 'jest.js'),
      ['--ci', '--config', 'jest.config.js', '--json', `--outputFile=${report}`],
      project()
    )
    const results = JSON.parse(readFileSync(report, 'utf8')) as {
      numTotalTestSuites: number
      numTotalTests: number
      numFailedTests: number
      success: boolean
    }
    const suites = filesUnder(path.join(project(), 'src', 'destinations', 'listrak')).filter(
      (file) => /(^|\/)__tests__\/[^/]+\.test\.ts$/.test(file) && !file.endsWith('/snapshot.test.ts')
    )
    expect([jest.status, results.success, results.numFailedTests]).toEqual([0, true, 0])
    expect(results.numTotalTestSuites).toBe(suites.length)
    expect(results.numTotalTests).toBeGreaterThan(0)
  })
})
