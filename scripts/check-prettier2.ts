import { promises as fs } from 'fs'
import path from 'path'
import { prettier2, ROOT, segmentPrettierOptions } from './segment/prettier2'
import { run } from './segment/sync'

/** What `npm run export:segment` puts in Segment's monorepo: the destination and its monorepo-style tests. */
const DIRS = ['src', path.join('test', 'segment')]

/**
 * `npm run lint` runs this: the files that go to Segment's monorepo formatted as it formats them, with Prettier 2
 * (Prettier 3 formats some code differently, and the monorepo's hooks would reformat it). With `--write`, formats
 * them instead.
 */
run(async () => {
  const write = process.argv.includes('--write')
  const options = segmentPrettierOptions()
  const files: string[] = []
  for (const dir of DIRS) {
    const names = await fs.readdir(path.join(ROOT, dir), { recursive: true })
    files.push(...names.filter((name) => name.endsWith('.ts')).map((name) => path.join(ROOT, dir, name)))
  }
  files.sort()
  const unformatted: string[] = []
  for (const file of files) {
    const source = await fs.readFile(file, 'utf8')
    if (prettier2.check(source, { ...options, filepath: file })) continue
    unformatted.push(path.relative(ROOT, file))
    if (write) await fs.writeFile(file, prettier2.format(source, { ...options, filepath: file }))
  }
  if (unformatted.length === 0) {
    console.log(`Prettier 2: ${files.length} files in ${DIRS.join(', ')} formatted as Segment's monorepo formats them`)
    return 0
  }
  if (write) {
    console.log(`Prettier 2 formatted ${unformatted.join(', ')}`)
    return 0
  }
  console.error(`Not formatted as Prettier 2 formats them (run \`npm run format\`): ${unformatted.join(', ')}`)
  return 1
})
