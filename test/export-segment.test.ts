import { spawnSync, SpawnSyncReturns } from 'child_process'
import {
  copyFileSync,
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

/**
 * `npm run export:segment` writes the folder of a pull request to Segment. Here it is written into a temporary
 * project that stands in for destination-actions: its node_modules holds only what the destination and its
 * tests may use (actions-core, zod, nock) and the tooling that runs them (jest, ts-jest, typescript and their
 * type packages), so an import of anything else fails; its test setup is destination-actions', the file
 * test/segment/ runs with here. Every child process has a time limit and the project is removed afterwards.
 */

const root = path.join(__dirname, '..')
const PACKAGES = ['@segment/actions-core', 'zod', 'nock']
const TOOLING = ['jest', 'ts-jest', 'typescript', '@types/jest', '@types/node']
const CHILD_TIMEOUT_MS = 120_000

let project: string
let folder: string
let exported: SpawnSyncReturns<string>

function run(command: string, args: string[], cwd: string) {
  return spawnSync(process.execPath, [command, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    // NODE_PATH would let the project find packages beside its node_modules.
    env: { ...process.env, NODE_PATH: '', FORCE_COLOR: '0' }
  })
}

const exportTo = (dir: string, ...flags: string[]) =>
  run(require.resolve('tsx/cli'), ['scripts/export-segment.ts', dir, ...flags], root)

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
  project = mkdtempSync(path.join(os.tmpdir(), 'listrak-segment-'))
  folder = path.join(project, 'src', 'destinations', 'listrak')
  exported = exportTo(folder)
  makeProject(project)
}, CHILD_TIMEOUT_MS)

afterAll(() => rmSync(project, { recursive: true, force: true }))

describe('npm run export:segment', () => {
  /** The folder's tests, and test/segment/ where they come from. */
  const tests = () => filesUnder(folder).filter((file) => file.includes('__tests__/'))
  const segmentTests = path.join(root, 'test', 'segment')

  it('writes the destination, its generated files, metadata.json, the tests and CHANGES.md, and lists them', () => {
    expect(exported.stderr).toBe('')
    expect(exported.status).toBe(0)
    const files = filesUnder(folder)
    expect(files).toEqual(
      expect.arrayContaining([
        'index.ts',
        'generated-types.ts',
        'metadata.json',
        'CHANGES.md',
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

  it('lays the tests out as test/segment/ holds them: test/segment/X is X', () => {
    expect(tests()).toEqual(filesUnder(segmentTests))
  })

  it('copies the sources unchanged', () => {
    for (const file of filesUnder(folder).filter((f) => !f.includes('__tests__/') && f !== 'CHANGES.md')) {
      expect([file, readFileSync(path.join(folder, file), 'utf8')]).toEqual([
        file,
        readFileSync(path.join(root, 'src', file), 'utf8')
      ])
    }
  })

  it('copies the snapshots as they are', () => {
    const snapshots = tests().filter((file) => file.endsWith('.snap'))
    expect(snapshots.length).toBeGreaterThan(0)
    for (const file of snapshots) {
      expect([file, readFileSync(path.join(folder, file), 'utf8')]).toEqual([
        file,
        readFileSync(path.join(segmentTests, file), 'utf8')
      ])
    }
  })

  it("points the tests at the folder instead of src/, and the generator's import at the monorepo's", () => {
    for (const file of tests().filter((f) => f.endsWith('.ts'))) {
      expect([file, readFileSync(path.join(folder, file), 'utf8')]).not.toEqual([
        file,
        expect.stringMatching(/\/src\b|monorepo/)
      ])
    }
    const read = (file: string) => readFileSync(path.join(folder, file), 'utf8')
    expect(read('__tests__/authentication.test.ts')).toContain("import Destination from '../index'")
    expect(read('upsertContact/__tests__/index.test.ts')).toContain("import Destination from '../../index'")
    // destination-actions' src/lib/test-data, from src/destinations/listrak/__tests__/ and from an action's.
    expect(read('__tests__/snapshot.test.ts')).toContain("import { generateTestData } from '../../../lib/test-data'")
    expect(read('upsertContact/__tests__/snapshot.test.ts')).toContain(
      "import { generateTestData } from '../../../../lib/test-data'"
    )
  })

  it('refuses a folder that is not empty, unless --force', () => {
    const refused = exportTo(folder)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('is not empty')
    expect(exportTo(folder, '--force').status).toBe(0)
  })
})

describe('the exported folder, alone with actions-core, nock and zod', () => {
  it('type-checks under destination-actions compiler options', () => {
    const tsc = run(path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), ['-p', 'tsconfig.json'], project)
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)
  })

  it('passes its own tests', () => {
    expect(existsSync(path.join(project, 'node_modules', 'nock'))).toBe(true)
    const report = path.join(project, 'jest-report.json')
    const jest = run(
      path.join(project, 'node_modules', 'jest', 'bin', 'jest.js'),
      ['--ci', '--config', 'jest.config.js', '--json', `--outputFile=${report}`],
      project
    )
    const results = JSON.parse(readFileSync(report, 'utf8')) as {
      numTotalTestSuites: number
      numTotalTests: number
      numFailedTests: number
      success: boolean
    }
    const suites = filesUnder(folder).filter(
      (file) => /(^|\/)__tests__\/[^/]+\.test\.ts$/.test(file) && !file.endsWith('/snapshot.test.ts')
    )
    expect([jest.status, results.success, results.numFailedTests]).toEqual([0, true, 0])
    expect(results.numTotalTestSuites).toBe(suites.length)
    expect(results.numTotalTests).toBeGreaterThan(0)
  })
})
