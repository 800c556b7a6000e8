import { spawnSync } from 'child_process'
import { promises as fs } from 'fs'
import path from 'path'
import { z } from 'zod'
import { PACKAGE_DIR } from './config'
import { judgeEslint, judgePrettier, judgeStrayFiles, judgeTests, judgeTypecheck, unformattedFiles } from './judge'
import { SEGMENT_VERSIONS } from './pins'
import type { GateResult } from './summary'
import { runTool, ToolRun } from './tool'

/** Every child process of a gate stops by itself: jest runs the suites, the others one pass over the folder. */
export const TESTS_TIMEOUT_MS = 15 * 60_000
export const TOOL_TIMEOUT_MS = 5 * 60_000

export interface Subset {
  /** The subset's root, laid out like the monorepo's. */
  dir: string
  /** Node 22, which runs every gate. */
  node: string
  /** The exported destination folder, inside the subset's packages/destination-actions/src/destinations/. */
  folder: string
  /** Where each gate's full output is kept. */
  logs: string
  /** The folder's files, relative to it, with `/`. */
  files: string[]
}

const modules = (subset: Subset, ...file: string[]) => path.join(subset.dir, 'node_modules', ...file)
const inSubset = (subset: Subset, file: string) => path.relative(subset.dir, file).split(path.sep).join('/')

async function logged(subset: Subset, gate: string, ran: ToolRun): Promise<ToolRun> {
  await fs.writeFile(path.join(subset.logs, `${gate}.log`), ran.output + '\n')
  return ran
}

/**
 * jest on the folder. Under --ci, as the monorepo's CI runs it, a snapshot missing or different fails its test;
 * `updateSnapshots` has jest write them instead (-u, and --ci=false, since a CI environment would turn --ci on).
 */
export async function testsGate(subset: Subset, { updateSnapshots = false } = {}): Promise<GateResult> {
  const report = path.join(subset.logs, 'jest-report.json')
  await fs.rm(report, { force: true })
  const packageDir = path.join(subset.dir, PACKAGE_DIR)
  const ran = runTool(
    subset.node,
    [
      modules(subset, 'jest', 'bin', 'jest.js'),
      ...(updateSnapshots ? ['-u', '--ci=false'] : ['--ci']),
      '--json',
      `--outputFile=${report}`,
      path.relative(packageDir, subset.folder)
    ],
    { cwd: packageDir, timeoutMs: TESTS_TIMEOUT_MS }
  )
  const json = await fs.readFile(report, 'utf8').then(
    (text) => JSON.parse(text) as unknown,
    () => undefined
  )
  return judgeTests(await logged(subset, 'tests', ran), json)
}

export async function typecheckGate(subset: Subset): Promise<GateResult> {
  const ran = runTool(
    subset.node,
    [modules(subset, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmit', '--pretty', 'false'],
    { cwd: path.join(subset.dir, PACKAGE_DIR), timeoutMs: TOOL_TIMEOUT_MS }
  )
  return judgeTypecheck(await logged(subset, 'typecheck', ran))
}

export async function eslintGate(subset: Subset): Promise<GateResult> {
  const ran = runTool(
    subset.node,
    [
      modules(subset, 'eslint', 'bin', 'eslint.js'),
      '--max-warnings',
      '0',
      '--no-color',
      `${inSubset(subset, subset.folder)}/**/*.ts`
    ],
    { cwd: subset.dir, timeoutMs: TOOL_TIMEOUT_MS }
  )
  return judgeEslint(await logged(subset, 'eslint', ran), subset.files.filter((f) => f.endsWith('.ts')).length)
}

/** `git diff` between two files of the subset, or a line saying that they differ. */
function diff(subset: Subset, before: string, after: string): string {
  const shown = spawnSync(
    'git',
    ['diff', '--no-index', '--no-color', '--', path.relative(subset.dir, before), path.relative(subset.dir, after)],
    { cwd: subset.dir, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS }
  )
  return shown.stdout || `${inSubset(subset, before)} differs (${shown.stderr.trim() || 'git diff printed nothing'})`
}

/** Segment's pre-commit hook formats .ts (outside templates) and .json, .md and .yml files with Prettier. */
const FORMATTED = /\.(ts|json|md|yml)$/

/** Under each file Prettier would change, how it would change it. */
async function prettierDiffs(subset: Subset, files: string[]): Promise<string> {
  const formattedDir = path.join(subset.logs, 'prettier')
  await fs.rm(formattedDir, { recursive: true, force: true })
  const diffs: string[] = []
  for (const file of files) {
    const ran = runTool(subset.node, [modules(subset, 'prettier', 'bin-prettier.js'), file], {
      cwd: subset.dir,
      timeoutMs: TOOL_TIMEOUT_MS
    })
    if (ran.code !== 0) continue
    const formatted = path.join(formattedDir, file)
    await fs.mkdir(path.dirname(formatted), { recursive: true })
    await fs.writeFile(formatted, ran.output + '\n')
    diffs.push(diff(subset, path.join(subset.dir, file), formatted))
  }
  return diffs.join('\n')
}

export async function prettierGate(subset: Subset): Promise<GateResult> {
  const ran = await logged(
    subset,
    'prettier',
    runTool(
      subset.node,
      [
        modules(subset, 'prettier', 'bin-prettier.js'),
        '--check',
        `${inSubset(subset, subset.folder)}/**/*.{ts,json,md,yml}`
      ],
      { cwd: subset.dir, timeoutMs: TOOL_TIMEOUT_MS }
    )
  )
  const formatted = subset.files.filter((file) => FORMATTED.test(file) && !file.endsWith('metadata.json'))
  const result = judgePrettier(ran, formatted.length)
  if (result.status !== 'FAIL') return result
  const unformatted = unformattedFiles(ran.output)
  return { ...result, output: `${ran.output}\n${await prettierDiffs(subset, unformatted)}` }
}

const RegenerateResult = z.object({ files: z.array(z.string()), problems: z.array(z.string()) })

/** This repository's generators, where the runner's relative imports find them inside the subset. */
const GENERATORS = ['generated-types.ts', 'metadata.ts', 'prettier2.ts', 'sync.ts', path.join('check', 'regenerate.ts')]

export async function generatedGate(subset: Subset): Promise<GateResult> {
  const name = 'generated'
  const what = `generate:types (json-schema-to-typescript ${SEGMENT_VERSIONS['json-schema-to-typescript']}), metadata`
  const tools = path.join(subset.dir, 'tools', 'segment')
  for (const file of GENERATORS) {
    await fs.mkdir(path.dirname(path.join(tools, file)), { recursive: true })
    await fs.copyFile(path.join(__dirname, '..', file), path.join(tools, file))
  }
  const out = path.join(subset.dir, 'regenerated')
  const resultFile = path.join(subset.logs, 'regenerated.json')
  await fs.rm(out, { recursive: true, force: true })
  await fs.rm(resultFile, { force: true })
  const ran = await logged(
    subset,
    'generated',
    runTool(
      subset.node,
      [require.resolve('tsx/cli'), path.join(tools, 'check', 'regenerate.ts'), subset.folder, out, resultFile],
      { cwd: subset.dir, timeoutMs: TOOL_TIMEOUT_MS }
    )
  )
  const result = RegenerateResult.safeParse(
    await fs.readFile(resultFile, 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined
    )
  )
  if (ran.code !== 0 || !result.success) {
    return {
      name,
      status: 'NOT RUN',
      summary: `${what} could not load the folder: ${ran.problem ?? `exit code ${ran.code}`}`,
      output: ran.output
    }
  }
  const diffs: string[] = []
  for (const file of result.data.files) {
    const exported = path.join(subset.folder, file)
    const regenerated = path.join(out, file)
    const before = await fs.readFile(exported, 'utf8').catch(() => undefined)
    if (before !== (await fs.readFile(regenerated, 'utf8'))) diffs.push(diff(subset, exported, regenerated))
  }
  const problems = [...result.data.problems, ...diffs]
  if (problems.length === 0) {
    return { name, status: 'PASS', summary: `${what}: ${result.data.files.length} files, no diff` }
  }
  return {
    name,
    status: 'FAIL',
    summary: `${what}: ${[
      ...(result.data.problems.length > 0 ? [`${result.data.problems.length} reserved setting names`] : []),
      `${diffs.length} of ${result.data.files.length} files differ`
    ].join(', ')}`,
    output: problems.join('\n')
  }
}

export function layoutGate(subset: Subset): GateResult {
  return judgeStrayFiles(subset.files)
}
