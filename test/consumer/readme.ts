import { readFileSync } from 'fs'
import path from 'path'

/** The README's sections and the commands in them, for the tests that hold the README to what it says. */

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8')

/** The text of the `## title` section, up to the next `## `. */
export function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`)
  if (start === -1) throw new Error(`README.md has no section "## ${title}"`)
  const end = readme.indexOf('\n## ', start + 1)
  return readme.slice(start, end === -1 ? undefined : end)
}

/** The commands of each `sh` block in `text`, one a line, without comments or blank lines. */
export function shellBlocks(text: string): string[][] {
  return [...text.matchAll(/\n```sh\n([\s\S]*?)```\n/g)].map(([, block]) =>
    block
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
  )
}
