import path from 'path'
import { exportSegmentFolder, PACKAGES, SEGMENT_PATH } from './segment/export'
import { run } from './segment/sync'

/**
 * `npm run export:segment -- <dir> [--force]`: writes the folder a pull request to Segment adds at
 * packages/destination-actions/src/destinations/listrak/ (sources, generated files, metadata.json, __tests__/,
 * CHANGES.md), and prints what it wrote.
 */
run(async () => {
  const args = process.argv.slice(2)
  const force = args.includes('--force')
  const [dir, ...extra] = args.filter((arg) => arg !== '--force')
  if (!dir || extra.length > 0 || dir.startsWith('-')) {
    console.error('usage: npm run export:segment -- <dir> [--force]')
    return 2
  }
  const target = path.resolve(dir)
  let result
  try {
    result = await exportSegmentFolder(target, { force })
  } catch (error) {
    console.error((error as Error).message)
    return 1
  }
  console.log(`Wrote ${result.written.length} files to ${target} (${SEGMENT_PATH}/ in Segment's monorepo):`)
  for (const { file, bytes } of result.written) console.log(`  ${file.padEnd(58)} ${String(bytes).padStart(7)} B`)
  if (result.leftOver.length > 0) {
    console.log('Already there and not part of this export (delete them for the pull request):')
    for (const file of result.leftOver) console.log(`  ${file}`)
  }
  console.log(
    `destination-actions must depend on ${PACKAGES.join(' and ')} (tested with zod 3.22.4 and zod 4). ` +
      'CHANGES.md is for the pull request description.'
  )
  return 0
})
