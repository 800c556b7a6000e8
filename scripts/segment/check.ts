import { promises as fs } from 'fs'
import os from 'os'
import path from 'path'
import { parseArgs } from 'util'
import { DESTINATIONS_DIR, writeSubsetConfig } from './check/config'
import { eslintGate, generatedGate, layoutGate, prettierGate, Subset, testsGate, typecheckGate } from './check/gates'
import { exitCode, gateLine, GateResult, outputBlock, summaryText } from './check/summary'
import { copySnapshotsBack } from './check/snapshots'
import { installSubset, provideTestData } from './check/subset'
import { exportStageFolder, SEGMENT_FOLDER } from './export'
import { ROOT } from './prettier2'
import { findStage, Stage, STAGES } from './stages'
import { run } from './sync'

type Gate = (subset: Subset) => GateResult | Promise<GateResult>

/**
 * The gates, in the order the monorepo's CI runs them: unit tests, build, lint, then the generated files; the tests
 * write the snapshots instead of comparing them with `updateSnapshots`.
 */
const gates = ({ updateSnapshots }: { updateSnapshots: boolean }): [string, Gate][] => [
  ['tests', (subset) => testsGate(subset, { updateSnapshots })],
  ['type check', typecheckGate],
  ['eslint', eslintGate],
  ['prettier', prettierGate],
  ['generated', generatedGate],
  ['layout', layoutGate]
]

/**
 * The subset lives outside this repository, so that a package it lacks cannot be found in this repository's
 * node_modules instead; it is kept between runs (its install is the slow part). SEGMENT_CHECK_DIR moves it.
 */
const DEFAULT_DIR = path.join(os.tmpdir(), 'listrak-actions-segment-check')

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

function report(result: GateResult, log?: string) {
  console.log(gateLine(result))
  if (result.output) console.log(outputBlock(result.output, log))
}

/** Where the export takes the tests (and their snapshots) from, laid out as the folder. */
const TESTS = path.join(ROOT, 'test', 'segment')

/** After jest wrote the snapshots, copies them to test/segment/ and says which it changed. */
async function keepSnapshots(result: GateResult, subset: Subset) {
  if (result.status !== 'PASS') {
    console.log('    Snapshots not copied back to test/segment/: the tests did not pass.')
    return
  }
  const { written, deleted } = await copySnapshotsBack(subset.folder, TESTS, subset.files)
  const inTests = (file: string) => path.relative(ROOT, path.join(TESTS, file)).split(path.sep).join('/')
  const lines = [
    ...written.map((file) => `wrote ${inTests(file)}`),
    ...deleted.map((file) => `deleted ${inTests(file)}`)
  ]
  console.log(
    (lines.length > 0 ? lines : ['test/segment/ holds the snapshots as jest wrote them'])
      .map((line) => `    ${line}`)
      .join('\n')
  )
}

/** Exports `stage` into the subset's destination folder and runs the gates on it. */
async function checkStage(
  stage: Stage,
  {
    dir,
    node,
    logs,
    checks,
    updateSnapshots
  }: Omit<Subset, 'folder' | 'files'> & {
    checks: [string, Gate][]
    updateSnapshots: boolean
  }
): Promise<GateResult[]> {
  const folder = path.join(dir, DESTINATIONS_DIR, SEGMENT_FOLDER)
  await fs.rm(folder, { recursive: true, force: true })
  try {
    await exportStageFolder(folder, stage)
  } catch (error) {
    const failed: GateResult = { name: 'export', status: 'FAIL', summary: (error as Error).message }
    report(failed)
    return [failed, ...checks.map(([name]): GateResult => ({ name, status: 'NOT RUN', summary: 'the export failed' }))]
  }
  const subset: Subset = { dir, node, folder, logs, files: await filesUnder(folder) }
  console.log(`\nStage ${stage.name}: ${path.join(DESTINATIONS_DIR, SEGMENT_FOLDER)}/ (${subset.files.length} files)`)
  const results: GateResult[] = []
  for (const [name, gate] of checks) {
    const result = await gate(subset)
    results.push(result)
    report(result, path.join(logs, `${stage.name}-${name.replace(' ', '')}.log`))
    if (name === 'tests' && updateSnapshots) await keepSnapshots(result, subset)
  }
  return results
}

const USAGE = `usage: npm run check:segment [-- --stage <name or number>] [--update-snapshots]
Stages: ${STAGES.map((stage, index) => `${index + 1} ${stage.name}`).join(', ')}; without --stage, each in turn.
--update-snapshots runs the last stage only (the others hold a part of its snapshots).`

/**
 * `npm run check:segment [-- --stage N] [--update-snapshots]`: exports each stage of the pull request series in
 * turn into a subset of Segment's monorepo built from the versions in its yarn.lock and runs Segment's gates on
 * the folder there, under Node 22; prints a line per gate, the output of those that did not pass, and exits 1
 * unless every gate of every stage passed. With `--update-snapshots`, jest writes the last stage's snapshots
 * instead of comparing them, and they are copied back to test/segment/ when the tests pass.
 */
run(async () => {
  let values
  try {
    values = parseArgs({
      options: { stage: { type: 'string' }, 'update-snapshots': { type: 'boolean', default: false } }
    }).values
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const updateSnapshots = values['update-snapshots']
  const last = STAGES[STAGES.length - 1]
  const chosen = values.stage === undefined ? undefined : findStage(values.stage)
  if ((values.stage !== undefined && !chosen) || (updateSnapshots && chosen && chosen !== last)) {
    console.error(USAGE)
    return 2
  }
  const stages = updateSnapshots ? [last] : chosen ? [chosen] : STAGES
  const checks = gates({ updateSnapshots })
  const dir = path.resolve(process.env.SEGMENT_CHECK_DIR || DEFAULT_DIR)
  const started = Date.now()
  const log = (line: string) => console.log(line)
  const { node, version } = await installSubset(dir, log)
  await writeSubsetConfig(dir)
  await provideTestData(dir, log)
  const logs = path.join(dir, 'logs')
  await fs.mkdir(logs, { recursive: true })
  console.log(`Segment's gates in ${dir}, under Node ${version}:`)

  const results: [Stage, GateResult[]][] = []
  for (const stage of stages) {
    results.push([stage, await checkStage(stage, { dir, node, logs, checks, updateSnapshots })])
  }
  console.log(`\nSummary (${Math.round((Date.now() - started) / 1000)} s):`)
  for (const [stage, stageResults] of results) console.log(`Stage ${stage.name}:\n${summaryText(stageResults)}`)
  return Math.max(...results.map(([, stageResults]) => exitCode(stageResults)))
})
