import { createReadStream, promises as fs, ReadStream } from 'fs'
import readline from 'readline'
import { parser } from 'stream-json'
import { pick } from 'stream-json/filters/Pick'
import { streamArray } from 'stream-json/streamers/StreamArray'

export type FileItem = { ok: true; value: unknown } | { ok: false; reason: string }

export interface EventFile {
  items: AsyncIterable<FileItem>
  /** Bytes of the file read so far, for progress. */
  bytesRead(): number
  size: number
  format: 'ndjson' | 'array' | 'batch'
}

async function detectFormat(file: string): Promise<EventFile['format']> {
  const handle = await fs.open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0)
    const head = buffer.subarray(0, bytesRead).toString('utf8').trimStart()
    if (head.startsWith('[')) return 'array'
    const firstLine = head.split('\n', 1)[0]
    try {
      const first = JSON.parse(firstLine) as { batch?: unknown }
      return Array.isArray(first?.batch) ? 'batch' : 'ndjson'
    } catch {
      // A JSON document over several lines: Segment's `{ "batch": [...] }`.
      return 'batch'
    }
  } finally {
    await handle.close()
  }
}

async function* ndjson(stream: ReadStream): AsyncGenerator<FileItem> {
  let line = 0
  for await (const text of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    line++
    if (!text.trim()) continue
    try {
      yield { ok: true, value: JSON.parse(text) }
    } catch (error) {
      yield { ok: false, reason: `line ${line}: not JSON (${(error as Error).message})` }
    }
  }
}

async function* jsonArray(stream: ReadStream, format: 'array' | 'batch'): AsyncGenerator<FileItem> {
  const tokens = stream.pipe(parser())
  const items = (format === 'batch' ? tokens.pipe(pick({ filter: 'batch' })) : tokens).pipe(streamArray())
  try {
    for await (const { value } of items as AsyncIterable<{ value: unknown }>) yield { ok: true, value }
  } catch (error) {
    yield { ok: false, reason: `the file stops being valid JSON: ${(error as Error).message}` }
  }
}

/**
 * Opens a file of Segment events, NDJSON, a JSON array or `{ "batch": [...] }`, and streams its events one by
 * one without reading the file whole, so a file of a million events takes no more memory than a small one.
 */
export async function openEventFile(file: string): Promise<EventFile> {
  const { size } = await fs.stat(file)
  const format = await detectFormat(file)
  const stream = createReadStream(file)
  return {
    items: format === 'ndjson' ? ndjson(stream) : jsonArray(stream, format),
    bytesRead: () => stream.bytesRead,
    size,
    format
  }
}
