import { promises as fs } from 'fs'
import os from 'os'
import path from 'path'
import { DESTINATIONS_DIR, writeSubsetConfig } from './check/config'
import { eslintGate, generatedGate, layoutGate, prettierGate, Subset, testsGate, typecheckGate } from './check/gates'
import { exitCode, gateLine, GateResult, outputBlock, summaryText } from './check/summary'
import { installSubset } from './check/subset'
import { exportSegmentFolder, SEGMENT_FOLDER } from './export'
import { run } from './sync'

/** The gates, in the order the monorepo's CI runs them: unit tests, build, lint, then the generated files. */
const GATES: [string, (subset: Subset) => GateResult | Promise<GateResult>][] = [
  ['tests', testsGate],
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

/**
 * `npm run check:segment`: exports the destination into a subset of Segment's monorepo built from the versions in
 * its yarn.lock and runs Segment's gates on the folder there, under Node 22; prints a line per gate, the output of
 * those that did not pass, and exits 1 unless every gate passed.
 */
run(async () => {
  const dir = path.resolve(process.env.SEGMENT_CHECK_DIR || DEFAULT_DIR)
  const started = Date.now()
  const { node, version } = await installSubset(dir, (line) => console.log(line))
  await writeSubsetConfig(dir)
  const logs = path.join(dir, 'logs')
  await fs.mkdir(logs, { recursive: true })

  const folder = path.join(dir, DESTINATIONS_DIR, SEGMENT_FOLDER)
  await fs.rm(folder, { recursive: true, force: true })
  const results: GateResult[] = []
  try {
    await exportSegmentFolder(folder)
  } catch (error) {
    results.push({ name: 'export', status: 'FAIL', summary: (error as Error).message })
    for (const [name] of GATES) results.push({ name, status: 'NOT RUN', summary: 'the export failed' })
  }

  if (results.length === 0) {
    const subset: Subset = { dir, node, folder, logs, files: await filesUnder(folder) }
    console.log(`Segment's gates on ${path.join(DESTINATIONS_DIR, SEGMENT_FOLDER)}/ (${subset.files.length} files)`)
    console.log(`in ${dir}, under Node ${version}:`)
    for (const [name, gate] of GATES) {
      const result = await gate(subset)
      results.push(result)
      report(result, path.join(logs, `${name.replace(' ', '')}.log`))
    }
  } else {
    results.forEach((result) => report(result))
  }
  console.log(`\nSummary (${Math.round((Date.now() - started) / 1000)} s):\n${summaryText(results)}`)
  return exitCode(results)
})
