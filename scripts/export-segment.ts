import path from 'path'
import { parseArgs } from 'util'
import {
  ExportResult,
  exportSeries,
  exportStageFolder,
  PACKAGES,
  PULL_REQUEST_FILE,
  SEGMENT_PATH
} from './segment/export'
import { findStage, STAGES } from './segment/stages'
import { run } from './segment/sync'

const USAGE = `usage: npm run export:segment -- <dir> [--force]
       npm run export:segment -- --stage <name or number> <folder> [--force]

Without --stage, writes the series of pull requests to Segment into <dir>: for each stage, <stage>/listrak/ (the
folder ${SEGMENT_PATH}/ as that pull request leaves it) and <stage>/${PULL_REQUEST_FILE} (its description).
With --stage, writes that stage's folder into <folder>, for example the monorepo's own destination folder.
Stages: ${STAGES.map((stage, index) => `${index + 1} ${stage.name}`).join(', ')}.`

function printWritten({ dir, written }: ExportResult): void {
  const width = Math.max(...written.map(({ file }) => file.length))
  console.log(`${path.relative(process.cwd(), dir) || '.'}:`)
  for (const { file, bytes } of written) console.log(`  ${file.padEnd(width)} ${String(bytes).padStart(7)} B`)
}

/**
 * `npm run export:segment`: writes what the pull requests to Segment add at
 * packages/destination-actions/src/destinations/listrak/ (sources, generated files, metadata.json, tests and their
 * snapshots), one folder a stage, and prints what it wrote.
 */
run(async () => {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { force: { type: 'boolean', default: false }, stage: { type: 'string' }, help: { type: 'boolean' } }
    })
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    console.error(USAGE)
    return 2
  }
  const target = path.resolve(positionals[0])
  const stage = values.stage === undefined ? undefined : findStage(values.stage)
  if (values.stage !== undefined && !stage) {
    console.error(`No stage "${values.stage}". ${USAGE.split('\n').pop()}`)
    return 2
  }
  try {
    if (stage) {
      const result = await exportStageFolder(target, stage, { force: values.force })
      console.log(`Wrote stage ${stage.name}: ${result.written.length} files (${SEGMENT_PATH}/ in Segment's monorepo).`)
      printWritten(result)
      if (result.leftOver.length > 0) {
        console.log('Already there and not part of this stage (delete them for the pull request):')
        for (const file of result.leftOver) console.log(`  ${file}`)
      }
    } else {
      const results = await exportSeries(target, { force: values.force })
      console.log(`Wrote ${results.length} pull requests to ${target}, one folder each, to be opened in this order:`)
      for (const result of results) printWritten(result)
      console.log(
        `Each ${PULL_REQUEST_FILE} is its pull request's description; each listrak/ is ${SEGMENT_PATH}/ as it leaves it.`
      )
    }
  } catch (error) {
    console.error((error as Error).message)
    return 1
  }
  console.log(
    `destination-actions must depend on ${PACKAGES.join(' and ')} ` +
      '(tested with zod 3.25.76, the version its yarn.lock holds, with 3.22.4 and with zod 4).'
  )
  return 0
})
