import { createReadStream, promises as fs, ReadStream } from 'fs'
import readline from 'readline'
import { pipeline, Readable } from 'stream'
import { parser } from 'stream-json'
import { pick } from 'stream-json/filters/Pick'
import { streamArray } from 'stream-json/streamers/StreamArray'

/**
 * One entry of the file: a JSON value, or a line that is not JSON (NDJSON only: a JSON document that breaks stops
 * the reading with an EventFileError). `at` is its line (NDJSON) or its place in the array, from 1 (see `unit`).
 */
export type FileItem =
  { ok: true; value: unknown; at: number } | { ok: false; at: number; reason: string; detail: string }

export interface EventFile {
  /** Throws an EventFileError when the file cannot be read to its end, or holds no events. */
  items: AsyncIterable<FileItem>
  /** Bytes of the file read so far, for progress. */
  bytesRead(): number
  size: number
  format: 'ndjson' | 'array' | 'batch'
  /** What an item's `at` counts: lines of NDJSON, or the events of a JSON array. */
  unit: 'line' | 'item'
}

/** The file cannot be read as events: the message names the file and, where it applies, the line. */
export class EventFileError extends Error {}

const FORMATS = 'A file of events is NDJSON (one event per line), a JSON array of events, or { "batch": [...] }.'
/** Enough to hold any first line an event file has; a longer one is taken for a JSON document on one line. */
const HEAD_BYTES = 1024 * 1024
/**
 * The JSON parser waits for up to this many characters before it reports a bad value; written after each line
 * while looking for an error, spaces make it report the error on the line that holds it.
 */
const PARSER_LOOKAHEAD = ' '.repeat(17)

const NOT_JSON = 'not JSON'

function cannotRead(file: string, error: unknown): EventFileError {
  return new EventFileError(`Cannot read ${file}: ${(error as Error).message}`)
}

/**
 * The format, from the start of the file: `[` opens an array; a first line that is JSON is NDJSON (or a
 * `{ "batch": [...] }` on one line); a first line that only opens an object starts a document over several lines.
 * Anything else is not an event file, and saying so with the line beats guessing.
 */
async function detectFormat(file: string, size: number): Promise<EventFile['format']> {
  let head: string
  try {
    const handle = await fs.open(file, 'r')
    try {
      const { buffer, bytesRead } = await handle.read(
        Buffer.alloc(Math.min(HEAD_BYTES, size)),
        0,
        Math.min(HEAD_BYTES, size),
        0
      )
      head = buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw cannotRead(file, error)
  }
  const start = head.length - head.trimStart().length
  const text = head.slice(start)
  if (!text) {
    throw new EventFileError(
      size > HEAD_BYTES
        ? `${file} starts with more than ${HEAD_BYTES} bytes of blank space: it holds no events. ${FORMATS}`
        : `${file} is empty: it holds no events. ${FORMATS}`
    )
  }
  if (text.startsWith('[')) return 'array'
  const newline = text.indexOf('\n')
  // The first line goes on past the head: a JSON document on one line.
  if (newline < 0 && size > HEAD_BYTES) return 'batch'
  const firstLine = newline < 0 ? text : text.slice(0, newline)
  try {
    const first = JSON.parse(firstLine) as { batch?: unknown } | null
    return Array.isArray(first?.batch) ? 'batch' : 'ndjson'
  } catch (error) {
    if (firstLine.trim() === '{' || /^\{\s*"batch"\s*:/.test(text)) return 'batch'
    const line = head.slice(0, start).split('\n').length
    throw new EventFileError(
      `${file}, line ${line}: not JSON (${(error as Error).message}). The first line tells the file's format, so ` +
        `nothing was read. ${FORMATS}`
    )
  }
}

async function* ndjson(file: string, onBytes: (bytes: number) => void): AsyncGenerator<FileItem> {
  const stream = createReadStream(file)
  let line = 0
  try {
    for await (const text of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
      line++
      onBytes(Buffer.byteLength(text) + 1)
      if (!text.trim()) continue
      try {
        yield { ok: true, value: JSON.parse(text), at: line }
      } catch (error) {
        yield { ok: false, at: line, reason: NOT_JSON, detail: (error as Error).message }
      }
    }
  } catch (error) {
    throw cannotRead(file, error)
  } finally {
    stream.destroy()
  }
}

/** The parser's words, without its prefix: "expected ','" rather than "Parser cannot parse input: expected ','". */
const parserProblem = (error: Error) => error.message.replace(/^Parser (cannot parse input: )?/, '')

/**
 * Where a JSON document stops being valid. The streaming parser does not tell, so the file is parsed again, a line
 * at a time, until it fails: only on the way to an error, so reading a good file costs nothing more.
 */
async function locateJsonError(file: string): Promise<{ line: number; problem: string; atEnd: boolean } | undefined> {
  const tokens = parser()
  // Only whether it fails matters: the tokens are dropped.
  tokens.resume()
  let failure: Error | undefined
  tokens.on('error', (error: Error) => (failure ??= error))
  const write = (text: string) =>
    new Promise<void>((resolve) => tokens.write(text, (error) => ((failure ??= error ?? undefined), resolve())))
  let line = 1
  let lastLine = 1
  const stream = createReadStream(file, { encoding: 'utf8' })
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      for (const piece of chunk.split(/(?<=\n)/)) {
        await write(piece)
        if (piece.endsWith('\n')) await write(PARSER_LOOKAHEAD)
        if (failure) return { line, problem: parserProblem(failure), atEnd: false }
        if (piece.trim()) lastLine = line
        if (piece.endsWith('\n')) line++
      }
    }
  } finally {
    stream.destroy()
  }
  // A bad value on a last line without a newline: reported now, rather than as the file ending too soon.
  await write(PARSER_LOOKAHEAD)
  if (failure) return { line: lastLine, problem: parserProblem(failure), atEnd: false }
  await new Promise<void>((resolve) => {
    tokens.once('error', () => resolve())
    tokens.once('finish', () => resolve())
    tokens.end()
  })
  return failure ? { line: lastLine, problem: parserProblem(failure), atEnd: true } : undefined
}

async function* jsonDocument(file: string, format: 'array' | 'batch', open: () => Readable): AsyncGenerator<FileItem> {
  const what = format === 'array' ? 'JSON array' : 'JSON document'
  // pipeline() carries an error of any stage to the last one, which the loop below then throws; the callback is
  // needed by its signature only.
  const ignore = () => undefined
  const stream = open()
  const items =
    format === 'batch'
      ? pipeline(stream, parser(), pick({ filter: 'batch' }), streamArray(), ignore)
      : pipeline(stream, parser(), streamArray(), ignore)
  let count = 0
  try {
    for await (const { value } of items as AsyncIterable<{ value: unknown }>) yield { ok: true, value, at: ++count }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw cannotRead(file, error)
    const found = await locateJsonError(file).catch(() => undefined)
    if (found?.atEnd) {
      throw new EventFileError(
        `${file}: truncated ${what}: the file ends at line ${found.line} before the ${what} is closed.`
      )
    }
    if (found) {
      throw new EventFileError(`${file}, line ${found.line}: the ${what} stops being valid JSON (${found.problem}).`)
    }
    const problem = format === 'batch' ? 'its "batch" is not an array of events' : (error as Error).message
    throw new EventFileError(`${file}: ${problem}.`)
  } finally {
    items.destroy()
  }
  if (count === 0) {
    throw new EventFileError(
      format === 'array'
        ? `${file} holds no events: the JSON array is empty.`
        : `${file} holds no events: a JSON document is read as Segment's { "batch": [...] }, and it has no events in "batch". ${FORMATS}`
    )
  }
}

/**
 * Opens a file of Segment events, NDJSON, a JSON array or `{ "batch": [...] }`, and streams its events one by
 * one without reading the file whole, so a file of a million events takes no more memory than a small one. Throws
 * an EventFileError for a file that cannot be read, is empty, or whose first line is not JSON.
 */
export async function openEventFile(file: string): Promise<EventFile> {
  let size: number
  try {
    size = (await fs.stat(file)).size
  } catch (error) {
    throw cannotRead(file, error)
  }
  const format = await detectFormat(file, size)
  if (format === 'ndjson') {
    let consumed = 0
    return {
      items: ndjson(file, (bytes) => (consumed += bytes)),
      bytesRead: () => Math.min(consumed, size),
      size,
      format,
      unit: 'line'
    }
  }
  // Opened once read, as NDJSON is: a file opened and never read would hold its descriptor.
  let stream: ReadStream | undefined
  return {
    items: jsonDocument(file, format, () => (stream = createReadStream(file))),
    bytesRead: () => stream?.bytesRead ?? 0,
    size,
    format,
    unit: 'item'
  }
}
