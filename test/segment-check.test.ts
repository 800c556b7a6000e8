import { spawnSync, SpawnSyncReturns } from 'child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import type { z } from 'zod'
import {
  ESLINT_CONFIG,
  JEST_CONFIG,
  JEST_SETUP_FILE,
  PACKAGE_DIR,
  writeSubsetConfig
} from '../scripts/segment/check/config'
import {
  JestReport,
  judgeEslint,
  judgePrettier,
  judgeStrayFiles,
  judgeTests,
  judgeTypecheck,
  unformattedFiles
} from '../scripts/segment/check/judge'
import {
  needsNodeFromNpm,
  SEGMENT_CORE_DEPENDENCIES,
  SEGMENT_NODE,
  SEGMENT_TEST_DATA,
  SEGMENT_VERSIONS,
  subsetPackageJson,
  versionMismatches
} from '../scripts/segment/check/pins'
import { reservedSettings } from '../scripts/segment/check/regenerate'
import { copySnapshotsBack } from '../scripts/segment/check/snapshots'
import { tarballName } from '../scripts/segment/check/subset'
import { exitCode, GateResult, outputBlock, summaryText } from '../scripts/segment/check/summary'
import { STAGES } from '../scripts/segment/stages'

/**
 * `npm run check:segment` downloads Segment's tool versions and runs them for a minute; what it concludes from
 * their output, what it pins and what it writes is checked here on fixtures, offline.
 */

const root = path.join(__dirname, '..')

const report = (counts: Partial<z.input<typeof JestReport>>) => ({
  success: true,
  numTotalTestSuites: 8,
  numFailedTestSuites: 0,
  numRuntimeErrorTestSuites: 0,
  numTotalTests: 75,
  numFailedTests: 0,
  ...counts
})

describe('the pins', () => {
  const manifest = subsetPackageJson({ actionsCore: '3.170.0', nodeFromNpm: true }) as {
    devDependencies: Record<string, string>
    overrides: Record<string, Record<string, string>>
    prettier: Record<string, unknown>
  }

  it("are the versions in Segment's yarn.lock, exact", () => {
    expect(manifest.devDependencies).toMatchObject({
      '@segment/actions-core': '3.170.0',
      jest: '27.5.1',
      'ts-jest': '27.1.5',
      typescript: '5.5.4',
      eslint: '7.32.0',
      '@typescript-eslint/eslint-plugin': '5.62.0',
      '@typescript-eslint/parser': '5.62.0',
      'eslint-config-prettier': '6.15.0',
      'eslint-plugin-jest': '25.2.2',
      'eslint-plugin-lodash': '7.3.0',
      prettier: '2.4.1',
      prettier2: 'npm:prettier@2.4.1',
      nock: '13.1.4',
      'json-schema-to-typescript': '10.1.5',
      liquidjs: '10.27.2',
      zod: '3.25.76',
      chance: '1.1.8',
      '@types/chance': '1.1.3',
      node: '22.13.1'
    })
    for (const version of Object.values(manifest.devDependencies))
      expect(version).toMatch(/^(npm:prettier@)?\d+\.\d+\.\d+$/)
  })

  it("hold actions-core's own dependencies at the monorepo's versions, fast-uri 3.1.0 among them", () => {
    expect(manifest.overrides).toEqual({
      '@segment/actions-core': expect.objectContaining({ ajv: '8.18.0', 'fast-uri': '3.1.0', 'cross-fetch': '3.1.4' })
    })
  })

  it("take destination-actions' test-data generator from a release of it, at an exact version", () => {
    expect(SEGMENT_TEST_DATA).toEqual({
      name: '@segment/action-destinations',
      version: '3.497.0',
      files: ['package/dist/lib/test-data.js', 'package/dist/lib/test-data.d.ts'],
      target: 'packages/destination-actions/src/lib'
    })
    expect(tarballName(SEGMENT_TEST_DATA.name, SEGMENT_TEST_DATA.version)).toBe(
      'segment-action-destinations-3.497.0.tgz'
    )
  })

  it("carry Segment's Prettier options", () => {
    expect(manifest.prettier).toEqual({ semi: false, singleQuote: true, trailingComma: 'none', printWidth: 120 })
  })

  it('add Node from the npm registry only for a machine without Node 22.13 or later in the 22 line', () => {
    expect(['v20.20.2', 'v22.12.0', 'v22.13.1', 'v22.20.0', 'v24.1.0'].map(needsNodeFromNpm)).toEqual([
      true,
      true,
      false,
      false,
      true
    ])
    expect(subsetPackageJson({ actionsCore: '3.170.0', nodeFromNpm: false })).not.toHaveProperty('devDependencies.node')
  })

  it('name each installed package at another version, or missing', () => {
    expect(
      versionMismatches({ jest: '27.5.1', nock: '13.1.4', zod: '3.25.76' }, { jest: '27.5.1', nock: '14.0.9' })
    ).toEqual(['nock: 14.0.9 (pinned 13.1.4)', 'zod: missing (pinned 3.25.76)'])
  })
})

describe('the monorepo settings the subset is given', () => {
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segment-check-config-'))
    await writeSubsetConfig(dir)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("are ESLint's config, read from the subset's root with its type information", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(dir, '.eslintrc.js')) as typeof ESLINT_CONFIG & {
      parserOptions: { tsconfigRootDir: string }
    }
    expect(config.parserOptions).toEqual({
      ecmaVersion: 2019,
      project: ['./tsconfig.eslint.json', './packages/*/tsconfig.json'],
      tsconfigRootDir: dir
    })
    expect(config.extends).toEqual([
      'eslint:recommended',
      'plugin:@typescript-eslint/recommended',
      'plugin:@typescript-eslint/recommended-requiring-type-checking',
      'prettier/@typescript-eslint',
      'prettier'
    ])
    expect(config.rules).toMatchObject({
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unsafe-call': 'warn',
      '@typescript-eslint/no-unsafe-argument': 'warn'
    })
  })

  it("are destination-actions' jest settings, which skip __tests__/__helpers__/, and its test setup", () => {
    const manifest = JSON.parse(readFileSync(path.join(dir, PACKAGE_DIR, 'package.json'), 'utf8')) as {
      jest: typeof JEST_CONFIG
    }
    expect(manifest.jest).toEqual(JEST_CONFIG)
    expect(manifest.jest.testPathIgnorePatterns).toContain('__tests__/__helpers__/')
    expect(readFileSync(path.join(dir, PACKAGE_DIR, 'test', 'setup-after-env.ts'), 'utf8')).toContain(
      "nock.enableNetConnect('127.0.0.1')"
    )
  })

  it('hold the test setup test/segment/ runs with here, as it is', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { projects } = require(path.join(root, 'jest.config.js')) as {
      projects: { displayName: string; roots: string[]; setupFilesAfterEnv?: string[] }[]
    }
    const segment = projects.find((project) => project.roots.includes('<rootDir>/test/segment'))
    expect(segment?.setupFilesAfterEnv).toEqual([
      `<rootDir>/${path.relative(root, JEST_SETUP_FILE).split(path.sep).join('/')}`
    ])
    expect(projects.filter((project) => project.setupFilesAfterEnv)).toEqual([segment])
    expect(readFileSync(path.join(dir, PACKAGE_DIR, 'test', 'setup-after-env.ts'), 'utf8')).toBe(
      readFileSync(JEST_SETUP_FILE, 'utf8')
    )
  })

  it('are the compiler options of its typecheck: the build config, without __tests__', () => {
    const build = JSON.parse(readFileSync(path.join(dir, PACKAGE_DIR, 'tsconfig.build.json'), 'utf8')) as unknown
    expect(build).toMatchObject({
      extends: '../../tsconfig.json',
      compilerOptions: { useUnknownInCatchVariables: false },
      exclude: ['**/__tests__/**/*.ts']
    })
    const root = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')) as unknown
    expect(root).toMatchObject({
      compilerOptions: { target: 'es2020', strict: true, strictPropertyInitialization: false, noUnusedLocals: true }
    })
  })
})

describe('the tests gate', () => {
  it('passes when every test of jest’s report passed', () => {
    expect(judgeTests({ code: 0, output: '' }, report({}))).toMatchObject({
      status: 'PASS',
      summary: 'jest 27.5.1 + ts-jest 27.1.5: 75 tests in 8 suites pass'
    })
  })

  it('fails with the counts and the output when a test fails or a suite cannot run', () => {
    const failed = judgeTests(
      { code: 1, output: '● a › b' },
      report({ success: false, numFailedTests: 2, numFailedTestSuites: 3, numRuntimeErrorTestSuites: 1 })
    )
    expect(failed).toEqual({
      name: 'tests',
      status: 'FAIL',
      summary: 'jest 27.5.1 + ts-jest 27.1.5: 2 of 75 tests fail, in 3 of 8 suites, 1 suites failed to run',
      output: '● a › b'
    })
    const noneRan = report({ success: false, numTotalTests: 0, numFailedTestSuites: 8, numRuntimeErrorTestSuites: 8 })
    expect(judgeTests({ code: 1, output: '' }, noneRan).status).toBe('FAIL')
  })

  it('says what became of the snapshots', () => {
    const snapshot = { matched: 14, added: 0, updated: 0, unmatched: 0, unchecked: 0, filesRemoved: 0 }
    expect(judgeTests({ code: 0, output: '' }, report({ snapshot }))).toMatchObject({
      status: 'PASS',
      summary: 'jest 27.5.1 + ts-jest 27.1.5: 75 tests in 8 suites pass, 14 snapshots match'
    })
    const written = { ...snapshot, matched: 10, added: 3, updated: 1, unchecked: 0 }
    expect(judgeTests({ code: 0, output: '' }, report({ snapshot: written })).summary).toBe(
      'jest 27.5.1 + ts-jest 27.1.5: 75 tests in 8 suites pass, 10 snapshots match, 3 snapshots written, 1 snapshots updated'
    )
  })

  it('fails on snapshots missing, different or obsolete, even when every test passed', () => {
    const obsolete = { matched: 14, added: 0, updated: 0, unmatched: 0, unchecked: 2, filesRemoved: 1 }
    expect(judgeTests({ code: 1, output: '' }, report({ success: false, snapshot: obsolete }))).toMatchObject({
      status: 'FAIL',
      summary:
        'jest 27.5.1 + ts-jest 27.1.5: 0 of 75 tests fail, in 0 of 8 suites, 14 snapshots match, 2 snapshots obsolete, ' +
        '1 snapshot files obsolete'
    })
    const missing = { ...obsolete, unchecked: 0, filesRemoved: 0, unmatched: 2 }
    const failed = report({ success: false, numFailedTests: 2, numFailedTestSuites: 1, snapshot: missing })
    expect(judgeTests({ code: 1, output: '' }, failed).summary).toBe(
      'jest 27.5.1 + ts-jest 27.1.5: 2 of 75 tests fail, in 1 of 8 suites, 14 snapshots match, 2 snapshots missing or different'
    )
  })

  it('did not run without a report, when it timed out, or when it found no test', () => {
    expect(judgeTests({ code: 1, output: 'Cannot find module' }, undefined)).toMatchObject({
      status: 'NOT RUN',
      summary: 'jest 27.5.1 + ts-jest 27.1.5 could not check: no test report (exit code 1)'
    })
    expect(judgeTests({ code: null, output: '', problem: 'timed out after 900 s' }, report({}))).toMatchObject({
      status: 'NOT RUN',
      summary: 'jest 27.5.1 + ts-jest 27.1.5 could not check: timed out after 900 s'
    })
    expect(judgeTests({ code: 1, output: '' }, report({ numTotalTestSuites: 0, numTotalTests: 0 })).status).toBe(
      'NOT RUN'
    )
  })
})

describe('the type check, ESLint and Prettier gates', () => {
  it('fail on tsc errors, counted; a tsc that printed no error but failed did not run', () => {
    const errors = 'a.ts(1,7): error TS2322: Type…\nb.ts(2,1): error TS2304: Cannot find name…'
    expect(judgeTypecheck({ code: 2, output: errors })).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/: 2 errors$/)
    })
    expect(judgeTypecheck({ code: 0, output: '' }).status).toBe('PASS')
    expect(judgeTypecheck({ code: 1, output: 'Segmentation fault' }).status).toBe('NOT RUN')
  })

  it('count ESLint warnings as failures; an ESLint that crashed did not run', () => {
    const warnings =
      '  3:1  warning  Unsafe call of an `any` typed value\n\n✖ 1 problem (0 errors, 1 warning)\n' +
      'ESLint found too many warnings (maximum: 0).'
    expect(judgeEslint({ code: 1, output: warnings }, 53)).toMatchObject({
      status: 'FAIL',
      summary: 'ESLint 7.32.0, warnings as errors: 0 errors, 1 warnings'
    })
    expect(judgeEslint({ code: 0, output: '' }, 53).summary).toBe(
      'ESLint 7.32.0, warnings as errors: no problems in 53 files'
    )
    expect(judgeEslint({ code: 2, output: 'No files matching the pattern' }, 53).status).toBe('NOT RUN')
  })

  it('name the files Prettier would change; a Prettier that matched no file did not run', () => {
    const output =
      'Checking formatting...\n[warn] listrak/api/contacts.ts\n[warn] Code style issues found in the above file(s). Forgot to run Prettier?'
    expect(unformattedFiles(output)).toEqual(['listrak/api/contacts.ts'])
    expect(judgePrettier({ code: 1, output }, 54).summary).toBe('Prettier 2.4.1 --check: 1 files not formatted')
    expect(judgePrettier({ code: 0, output: '' }, 54).status).toBe('PASS')
    expect(judgePrettier({ code: 2, output: '[error] No files matching the pattern were found' }, 54).status).toBe(
      'NOT RUN'
    )
  })
})

describe('the layout gate', () => {
  it('fails on a module beside the tests in __tests__, which jest would run as a test file', () => {
    const result = judgeStrayFiles([
      'index.ts',
      '__tests__/index.test.ts',
      '__tests__/fixtures.ts',
      '__tests__/__snapshots__/snapshot.test.ts.snap',
      'upsertContact/__tests__/events.d.ts',
      'upsertContact/__tests__/index.test.ts',
      'upsertContact/helpers.ts'
    ])
    expect(result.status).toBe('FAIL')
    expect(result.output?.split('\n')).toEqual([
      '__tests__/fixtures.ts: jest runs every .ts file in a __tests__ folder as a test file; only *.test.ts belong there',
      'upsertContact/__tests__/events.d.ts: jest runs every .ts file in a __tests__ folder as a test file; only *.test.ts belong there'
    ])
  })

  it('fails on a .md file and on __tests__/__helpers__/, anywhere in the folder', () => {
    const result = judgeStrayFiles([
      'index.ts',
      'metadata.json',
      'CHANGES.md',
      '__tests__/index.test.ts',
      '__tests__/__helpers__/listrak.ts',
      'upsertContact/__tests__/__helpers__/events.ts',
      'upsertContact/__tests__/__snapshots__/index.test.ts.snap'
    ])
    expect(result.status).toBe('FAIL')
    expect(result.output?.split('\n').map((line) => line.split(':')[0])).toEqual([
      'CHANGES.md',
      '__tests__/__helpers__/listrak.ts',
      'upsertContact/__tests__/__helpers__/events.ts'
    ])
  })

  it('passes a folder of sources, generated files, metadata.json, tests and their snapshots', () => {
    const files = [
      'index.ts',
      'generated-types.ts',
      'metadata.json',
      '__tests__/index.test.ts',
      '__tests__/__snapshots__/snapshot.test.ts.snap',
      'upsertContact/__tests__/snapshot.test.ts',
      'upsertContact/__tests__/__snapshots__/snapshot.test.ts.snap'
    ]
    expect(judgeStrayFiles(files)).toMatchObject({ status: 'PASS', summary: expect.stringContaining('7 files') })
  })
})

describe('the snapshots jest wrote, with --update-snapshots', () => {
  let dir: string
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), content)
  }
  const read = (file: string) => (existsSync(path.join(dir, file)) ? readFileSync(path.join(dir, file), 'utf8') : null)

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segment-check-snapshots-'))
    // test/segment/ as committed, and the folder after `jest -u`: one snapshot file rewritten, one new, one deleted
    // (its test went), one left as it was.
    write('tests/__tests__/__snapshots__/snapshot.test.ts.snap', 'old')
    write('tests/upsertContact/__tests__/__snapshots__/gone.test.ts.snap', 'gone')
    write('tests/unsubscribeContact/__tests__/__snapshots__/snapshot.test.ts.snap', 'same')
    write('folder/__tests__/__snapshots__/snapshot.test.ts.snap', 'new')
    write('folder/upsertContact/__tests__/__snapshots__/snapshot.test.ts.snap', 'added')
    write('folder/unsubscribeContact/__tests__/__snapshots__/snapshot.test.ts.snap', 'same')
    write('folder/index.ts', 'export {}')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('go back to test/segment/, laid out as the folder; those jest deleted are deleted there', async () => {
    const exported = [
      'index.ts',
      '__tests__/__snapshots__/snapshot.test.ts.snap',
      'upsertContact/__tests__/__snapshots__/gone.test.ts.snap',
      'unsubscribeContact/__tests__/__snapshots__/snapshot.test.ts.snap'
    ]

    const changed = await copySnapshotsBack(path.join(dir, 'folder'), path.join(dir, 'tests'), exported)

    const at = (file: string) => file.split('/').join(path.sep)
    expect(changed).toEqual({
      written: [
        at('__tests__/__snapshots__/snapshot.test.ts.snap'),
        at('upsertContact/__tests__/__snapshots__/snapshot.test.ts.snap')
      ],
      deleted: [at('upsertContact/__tests__/__snapshots__/gone.test.ts.snap')]
    })
    expect(read('tests/__tests__/__snapshots__/snapshot.test.ts.snap')).toBe('new')
    expect(read('tests/upsertContact/__tests__/__snapshots__/snapshot.test.ts.snap')).toBe('added')
    expect(read('tests/upsertContact/__tests__/__snapshots__/gone.test.ts.snap')).toBeNull()
    expect(read('tests/unsubscribeContact/__tests__/__snapshots__/snapshot.test.ts.snap')).toBe('same')
    expect(read('tests/index.ts')).toBeNull()
  })
})

describe('the regenerated types', () => {
  const destination = (scheme: 'oauth2' | 'custom', keys: string[]) => ({
    name: 'Example',
    mode: 'cloud' as const,
    authentication: {
      scheme,
      fields: Object.fromEntries(keys.map((key) => [key, { label: key, description: key, type: 'string' as const }]))
    },
    actions: {}
  })

  it('are refused, as generate:types refuses them, for an OAuth 2 setting named like a credential', () => {
    expect(reservedSettings(destination('oauth2', ['client_id', 'clientSecret', 'Password', 'client_secret']))).toEqual(
      ['clientSecret', 'Password']
    )
    expect(reservedSettings(destination('custom', ['clientSecret']))).toEqual([])
  })
})

describe('the summary', () => {
  const gate = (name: string, status: GateResult['status']): GateResult => ({ name, status, summary: `${name} ran` })

  it('has a line per gate and exits 0 only when every gate passed', () => {
    const passed = [gate('tests', 'PASS'), gate('eslint', 'PASS')]
    expect(summaryText(passed)).toBe(
      'PASS     tests         tests ran\nPASS     eslint        eslint ran\nAll 2 gates pass.'
    )
    expect(exitCode(passed)).toBe(0)
  })

  it('exits 1 for a gate that failed or could not run, and for no gate at all', () => {
    const results = [gate('tests', 'PASS'), gate('eslint', 'NOT RUN'), gate('prettier', 'FAIL')]
    expect(summaryText(results).split('\n').at(-1)).toBe('2 of 3 gates did not pass: eslint, prettier.')
    expect(exitCode(results)).toBe(1)
    expect(exitCode([gate('tests', 'NOT RUN')])).toBe(1)
    expect(exitCode([])).toBe(1)
  })

  it('shows the first 120 lines of a long output, indented, and where the rest is', () => {
    const output = Array.from({ length: 130 }, (_, i) => `line ${i + 1}`).join('\n')
    const lines = outputBlock(output, '/tmp/logs/tests.log').split('\n')
    expect(lines).toHaveLength(121)
    expect(lines[119]).toBe('    line 120')
    expect(lines[120]).toBe('    … 10 more lines in /tmp/logs/tests.log')
  })
})

describe('npm run check:segment, on a subset whose tools are stand-ins', () => {
  /**
   * A subset already installed (its stamp is the package.json the check would write), whose packages are
   * manifests at the pinned versions and whose tools print what the real ones print: jest a passing report (and
   * the arguments it was given, to jest-args.json), tsc nothing, ESLint one warning, Prettier nothing.
   * actions-core is a bare manifest, so the generators cannot load the folder. The release that holds the
   * test-data generator is downloaded already: a tarball of the same layout.
   */
  let dir: string
  let result: SpawnSyncReturns<string>
  let jestArgs: string[]
  let updated: SpawnSyncReturns<string>
  let updatingJestArgs: string[]
  const generator = 'exports.generateTestData = () => [{}, {}]\n'

  const check = (...args: string[]) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/segment/check.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SEGMENT_CHECK_DIR: dir }
    })
  const argsOfJest = () => JSON.parse(readFileSync(path.join(dir, 'jest-args.json'), 'utf8')) as string[]

  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), content)
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'segment-check-cli-'))
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>
    }
    const actionsCore = lock.packages['node_modules/@segment/actions-core'].version
    const nodeFromNpm = needsNodeFromNpm(process.version)
    write('installed-package.json', JSON.stringify(subsetPackageJson({ actionsCore, nodeFromNpm }), null, 2) + '\n')
    const versions: Record<string, string> = {
      ...SEGMENT_VERSIONS,
      ...SEGMENT_CORE_DEPENDENCIES,
      '@segment/actions-core': actionsCore,
      prettier2: SEGMENT_VERSIONS.prettier,
      node: SEGMENT_NODE
    }
    for (const [name, version] of Object.entries(versions)) {
      write(`node_modules/${name}/package.json`, JSON.stringify({ name, version }))
    }
    if (nodeFromNpm) {
      write(
        'node_modules/node/bin/node',
        `#!/bin/sh\n[ "$1" = --version ] && echo v${SEGMENT_NODE} && exit 0\nexec "${process.execPath}" "$@"\n`
      )
      chmodSync(path.join(dir, 'node_modules/node/bin/node'), 0o755)
    }
    const jestReport = JSON.stringify(report({}))
    write(
      'node_modules/jest/bin/jest.js',
      `const out = process.argv.find((a) => a.startsWith('--outputFile=')).slice(13)\n` +
        `require('fs').writeFileSync(out, ${JSON.stringify(jestReport)})\n` +
        `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'jest-args.json'))}, JSON.stringify(process.argv.slice(2)))\n`
    )
    write('release/package/dist/lib/test-data.js', generator)
    write('release/package/dist/lib/test-data.d.ts', 'export declare function generateTestData(): any[]\n')
    write('release/package/dist/index.js', '')
    mkdirSync(path.join(dir, 'downloads'))
    const tarball = path.join(dir, 'downloads', tarballName(SEGMENT_TEST_DATA.name, SEGMENT_TEST_DATA.version))
    expect(spawnSync('tar', ['-czf', tarball, '-C', path.join(dir, 'release'), 'package']).status).toBe(0)
    write('node_modules/typescript/bin/tsc', '')
    write(
      'node_modules/eslint/bin/eslint.js',
      "console.log('  3:1  warning  Unsafe call of an `any` typed value\\n\\n✖ 1 problem (0 errors, 1 warning)')\n" +
        'process.exitCode = 1\n'
    )
    write('node_modules/prettier/bin-prettier.js', '')
    result = check()
    jestArgs = argsOfJest()
    updated = check('--update-snapshots')
    updatingJestArgs = argsOfJest()
  }, 120_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('installs nothing, checks each stage in turn, prints a line per gate and a summary by stage, and exits 1', () => {
    const summary = result.stdout.slice(result.stdout.indexOf('\nSummary ('))
    expect(result.stdout).not.toContain('Installing')
    expect(result.stdout).not.toContain('Fetching')
    const stageLines = [
      'PASS     tests         jest 27.5.1 + ts-jest 27.1.5: 75 tests in 8 suites pass',
      'PASS     type check    tsc 5.5.4 -p tsconfig.build.json --noEmit: no errors',
      'FAIL     eslint        ESLint 7.32.0, warnings as errors: 0 errors, 1 warnings',
      // How many files Prettier checks and whether the layout passes depend on what the export holds.
      expect.stringMatching(/^PASS {5}prettier {6}Prettier 2\.4\.1 --check: \d+ files formatted$/),
      'NOT RUN  generated     generate:types (json-schema-to-typescript 10.1.5), metadata could not load the folder: exit code 1',
      expect.stringMatching(/^PASS {5}layout {8}files a destination folder has: \d+ files, none out of place$/),
      '2 of 6 gates did not pass: eslint, generated.'
    ]
    expect(summary.split('\n').slice(2)).toEqual([
      ...STAGES.flatMap((stage) => [`Stage ${stage.name}:`, ...stageLines]),
      ''
    ])
    const order = STAGES.map((stage) => result.stdout.indexOf(`\nStage ${stage.name}: packages/destination-actions/`))
    expect(order).toEqual([...order].sort((a, b) => a - b))
    expect(order[0]).toBeGreaterThan(0)
    expect(result.status).toBe(1)
  })

  it('prints the output of a gate that did not pass below its line', () => {
    expect(result.stdout).toContain(
      'FAIL     eslint        ESLint 7.32.0, warnings as errors: 0 errors, 1 warnings\n' +
        '      3:1  warning  Unsafe call of an `any` typed value'
    )
    const generated = result.stdout.slice(
      result.stdout.indexOf('NOT RUN  generated'),
      result.stdout.indexOf('FAIL     layout')
    )
    expect(generated).toContain("\n    Error: Cannot find module '@segment/actions-core'")
  })

  it("puts the release's test-data generator where the monorepo has it, and nothing else of the release", () => {
    const lib = path.join(dir, SEGMENT_TEST_DATA.target)
    expect(readdirSync(lib).sort()).toEqual(['test-data.d.ts', 'test-data.js'])
    expect(readFileSync(path.join(lib, 'test-data.js'), 'utf8')).toBe(generator)
  })

  it('runs jest under --ci, where a snapshot missing or different fails its test', () => {
    expect(jestArgs).toContain('--ci')
    expect(jestArgs).not.toContain('-u')
  })

  it('with --update-snapshots, has jest write them, and leaves test/segment/ as it is when jest changed none', () => {
    expect(updatingJestArgs).toEqual(expect.arrayContaining(['-u', '--ci=false']))
    expect(updatingJestArgs).not.toContain('--ci')
    expect(updated.stdout).toContain(
      'PASS     tests         jest 27.5.1 + ts-jest 27.1.5: 75 tests in 8 suites pass\n' +
        '    test/segment/ holds the snapshots as jest wrote them\n'
    )
    // The earlier stages hold a part of the last one's snapshots: only the last is written.
    const checked = STAGES.filter((stage) => updated.stdout.includes(`\nStage ${stage.name}: packages/`))
    expect(checked).toEqual([STAGES[STAGES.length - 1]])
  })

  it('checks one stage with --stage, by number', () => {
    const one = check('--stage', '2')
    const checked = STAGES.filter((stage) => one.stdout.includes(`\nStage ${stage.name}: packages/`))
    expect(checked).toEqual([STAGES[1]])
    expect(one.status).toBe(1)
  })

  it('refuses an argument it does not know, before it installs anything', () => {
    const refused = check('--update')
    expect(refused.stderr).toContain('usage: npm run check:segment [-- --stage <name or number>] [--update-snapshots]')
    expect(refused.status).toBe(2)
    for (const args of [
      ['--stage', '9'],
      ['--stage', '1', '--update-snapshots']
    ]) {
      const wrong = check(...args)
      expect([args, wrong.status]).toEqual([args, 2])
      expect(wrong.stdout).toBe('')
    }
  })
})
