import { promises as fs } from 'fs'
import type { FileHandle } from 'fs/promises'
import path from 'path'
import type { DeadLetter } from '.'

/**
 * Appends dead letters to an NDJSON file, one JSON object per line: where the in-memory queue keeps them, and
 * what `dead-letters export` writes. The file is created readable by its owner only (events carry email
 * addresses). A failed write rejects, so the caller keeps the events; the next write opens the file again.
 */
export class DeadLetterFile {
  private handle?: FileHandle
  /** Writes go one after another, so lines of concurrent writes never interleave. */
  private tail: Promise<unknown> = Promise.resolve()
  written = 0

  constructor(readonly file: string) {}

  write(letters: DeadLetter[]): Promise<void> {
    const lines = letters.map((letter) => `${JSON.stringify(letter)}\n`).join('')
    const done = this.tail.then(() => this.append(lines, letters.length))
    this.tail = done.catch(() => undefined)
    return done
  }

  private async append(lines: string, count: number): Promise<void> {
    try {
      if (!this.handle) {
        await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 })
        this.handle = await fs.open(this.file, 'a', 0o600)
      }
      await this.handle.appendFile(lines)
      this.written += count
    } catch (error) {
      const handle = this.handle
      this.handle = undefined
      await handle?.close().catch(() => undefined)
      throw new Error(`Cannot write the dead-letter file ${this.file}: ${(error as Error).message}`)
    }
  }

  async close(): Promise<void> {
    await this.tail
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
  }
}
