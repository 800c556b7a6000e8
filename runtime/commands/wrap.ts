/** Columns a command's output is laid out in when it goes to a file or a pipe, where no terminal says. */
export const DEFAULT_WIDTH = 100
/** Below this, a wrapped text would be a column of fragments: it takes this much and runs past the width. */
const MIN_TEXT_WIDTH = 30

/** The columns of the terminal a stream writes to, or 100 when it is not a terminal. */
export const outputWidth = (stream: NodeJS.WriteStream = process.stdout): number =>
  stream.isTTY && stream.columns ? stream.columns : DEFAULT_WIDTH

/**
 * A text in lines of at most `width` characters, broken between words; a word longer than a line is cut. Every
 * character but the spaces it breaks at is kept: a reason is shown whole.
 */
export function wrap(text: string, width: number): string[] {
  const max = Math.max(MIN_TEXT_WIDTH, width)
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length <= max) {
      line += ` ${word}`
      continue
    }
    if (line) lines.push(line)
    let rest = word
    while (rest.length > max) {
      lines.push(rest.slice(0, max))
      rest = rest.slice(max)
    }
    line = rest
  }
  if (line || lines.length === 0) lines.push(line)
  return lines
}

/** A text wrapped to start at column `indent` of a `width`-column output: its first line, then the rest indented. */
export const wrapFrom = (text: string, indent: number, width: number): string =>
  wrap(text, width - indent).join(`\n${' '.repeat(indent)}`)

/** Rows in aligned columns; with `width`, the last column (a reason) is wrapped to it rather than cut. */
export function table(rows: string[][], width?: number): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  const last = rows[0].length - 1
  const indent = widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0)
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < last ? cell.padEnd(widths[i]) : width ? wrapFrom(cell, indent, width) : cell))
        .join('  ')
        .trimEnd()
    )
    .join('\n')
}
