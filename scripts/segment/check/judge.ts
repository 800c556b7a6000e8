import { z } from 'zod'
import { SEGMENT_VERSIONS } from './pins'
import type { GateResult } from './summary'
import type { ToolRun } from './tool'

/**
 * How each gate's tool output becomes a verdict. A tool that gave no exit code, or an exit code that means it
 * could not check (a bad config, no file matched), is NOT RUN, never a pass.
 */

const v = SEGMENT_VERSIONS

function notRun(name: string, what: string, ran: ToolRun): GateResult {
  return {
    name,
    status: 'NOT RUN',
    summary: `${what} could not check: ${ran.problem ?? `exit code ${ran.code}`}`,
    output: ran.output
  }
}

/** The parts of jest's `--json` report the verdict reads. */
export const JestReport = z.object({
  success: z.boolean(),
  numTotalTestSuites: z.number(),
  numFailedTestSuites: z.number(),
  numRuntimeErrorTestSuites: z.number(),
  numTotalTests: z.number(),
  numFailedTests: z.number(),
  // What became of the snapshots: written (added) or rewritten (updated) where jest may write them; different, or
  // missing under --ci (unmatched), and no longer asserted (unchecked, and whole files: filesRemoved) fail a run
  // that does not update them, even when every test passed.
  snapshot: z
    .object({
      matched: z.number(),
      added: z.number(),
      updated: z.number(),
      unmatched: z.number(),
      unchecked: z.number(),
      filesRemoved: z.number()
    })
    .optional()
})

type Snapshots = NonNullable<z.infer<typeof JestReport>['snapshot']>

/** What a run did with the snapshots, after the tests' counts: `, 16 snapshots match`; nothing without any. */
function snapshotNote(s: Snapshots | undefined): string {
  if (!s) return ''
  const parts: [number, string][] = [
    [s.matched, 'snapshots match'],
    [s.added, 'snapshots written'],
    [s.updated, 'snapshots updated'],
    [s.unmatched, 'snapshots missing or different'],
    [s.unchecked, 'snapshots obsolete'],
    [s.filesRemoved, 'snapshot files obsolete']
  ]
  return parts
    .filter(([count]) => count > 0)
    .map(([count, what]) => `, ${count} ${what}`)
    .join('')
}

export function judgeTests(ran: ToolRun, report: unknown): GateResult {
  const name = 'tests'
  const what = `jest ${v.jest} + ts-jest ${v['ts-jest']}`
  const parsed = JestReport.safeParse(report)
  if (ran.code === null || !parsed.success) {
    return notRun(name, what, { ...ran, problem: ran.problem ?? `no test report (exit code ${ran.code})` })
  }
  const r = parsed.data
  if (r.numTotalTestSuites === 0 || (r.numTotalTests === 0 && r.numRuntimeErrorTestSuites === 0)) {
    return { name, status: 'NOT RUN', summary: `${what} found no test to run`, output: ran.output }
  }
  const snapshots = snapshotNote(r.snapshot)
  if (r.success && ran.code === 0) {
    return {
      name,
      status: 'PASS',
      summary: `${what}: ${r.numTotalTests} tests in ${r.numTotalTestSuites} suites pass${snapshots}`
    }
  }
  const broken = r.numRuntimeErrorTestSuites > 0 ? `, ${r.numRuntimeErrorTestSuites} suites failed to run` : ''
  return {
    name,
    status: 'FAIL',
    summary: `${what}: ${r.numFailedTests} of ${r.numTotalTests} tests fail, in ${r.numFailedTestSuites} of ${r.numTotalTestSuites} suites${broken}${snapshots}`,
    output: ran.output
  }
}

export function judgeTypecheck(ran: ToolRun): GateResult {
  const name = 'type check'
  const what = `tsc ${v.typescript} -p tsconfig.build.json --noEmit`
  if (ran.code === null) return notRun(name, what, ran)
  const errors = ran.output.split('\n').filter((line) => /\berror TS\d+:/.test(line)).length
  if (ran.code === 0 && errors === 0) return { name, status: 'PASS', summary: `${what}: no errors` }
  if (errors === 0) return notRun(name, what, ran)
  return { name, status: 'FAIL', summary: `${what}: ${errors} errors`, output: ran.output }
}

export function judgeEslint(ran: ToolRun, files: number): GateResult {
  const name = 'eslint'
  const what = `ESLint ${v.eslint}, warnings as errors`
  // ESLint exits 1 for problems found (or warnings over --max-warnings), 2 for a config or parse crash.
  if (ran.code !== 0 && ran.code !== 1) return notRun(name, what, ran)
  if (ran.code === 0) return { name, status: 'PASS', summary: `${what}: no problems in ${files} files` }
  const problems = /(\d+) problems? \((\d+) errors?, (\d+) warnings?\)/.exec(ran.output)
  const found = problems ? `${problems[2]} errors, ${problems[3]} warnings` : 'problems'
  return { name, status: 'FAIL', summary: `${what}: ${found}`, output: ran.output }
}

export function judgePrettier(ran: ToolRun, files: number): GateResult {
  const name = 'prettier'
  const what = `Prettier ${v.prettier} --check`
  // Prettier exits 1 when a file is not formatted, 2 when it could not check (no file matched, a parse error).
  if (ran.code !== 0 && ran.code !== 1) return notRun(name, what, ran)
  if (ran.code === 0) return { name, status: 'PASS', summary: `${what}: ${files} files formatted` }
  const unformatted = unformattedFiles(ran.output)
  return { name, status: 'FAIL', summary: `${what}: ${unformatted.length} files not formatted`, output: ran.output }
}

/** The files `prettier --check` names, one `[warn] <file>` line each, before its closing `[warn]` line. */
export function unformattedFiles(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('[warn] ') && !line.startsWith('[warn] Code style issues'))
    .map((line) => line.slice('[warn] '.length))
}

/** The files a destination folder in the monorepo has none of, with why. */
export function strayFiles(files: string[]): string[] {
  return files.flatMap((file) => {
    if (file.endsWith('.md')) return [`${file}: no destination folder in the monorepo holds a .md file`]
    if (/(^|\/)__tests__\/__helpers__\//.test(file)) {
      return [`${file}: no destination folder has __tests__/__helpers__/ beside its tests (one action of hubspot does)`]
    }
    // The monorepo's jest takes every .ts file in a __tests__ folder for a test file: a module there fails as
    // "Your test suite must contain at least one test".
    if (/(^|\/)__tests__\//.test(file) && file.endsWith('.ts') && !file.endsWith('.test.ts')) {
      return [`${file}: jest runs every .ts file in a __tests__ folder as a test file; only *.test.ts belong there`]
    }
    return []
  })
}

export function judgeStrayFiles(files: string[]): GateResult {
  const name = 'layout'
  const what = 'files a destination folder has'
  const stray = strayFiles(files)
  if (stray.length === 0) return { name, status: 'PASS', summary: `${what}: ${files.length} files, none out of place` }
  return { name, status: 'FAIL', summary: `${what}: ${stray.length} files out of place`, output: stray.join('\n') }
}
