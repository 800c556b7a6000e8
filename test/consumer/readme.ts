import { readFileSync } from 'fs'
import path from 'path'

/** The docs' sections and the commands in them, for the tests that hold the docs to what they say. */

const root = path.join(__dirname, '..', '..')

/** The text of the `## title` section of `file` (a path from the project's root), up to the next `## `. */
export function section(title: string, file = 'README.md'): string {
  const text = readFileSync(path.join(root, file), 'utf8')
  const start = text.indexOf(`\n## ${title}\n`)
  if (start === -1) throw new Error(`${file} has no section "## ${title}"`)
  const end = text.indexOf('\n## ', start + 1)
  return text.slice(start, end === -1 ? undefined : end)
}

/**
 * The commands of each `sh` block in `text`, one a line, without comments or blank lines; a command continued with
 * a trailing backslash is one command.
 */
export function shellBlocks(text: string): string[][] {
  return [...text.matchAll(/\n```sh\n([\s\S]*?)```\n/g)].map(([, block]) =>
    block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
  )
}
