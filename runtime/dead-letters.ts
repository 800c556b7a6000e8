import type { SegmentEvent } from '@segment/actions-core'
import { createWriteStream, mkdirSync, WriteStream } from 'fs'
import { once } from 'events'
import path from 'path'

export interface DeadLetter {
  at: string
  subscription: string
  messageId?: string
  status: number
  reason: string
  attempts: number
  event: SegmentEvent
}

/** Appends events that could not be delivered, one JSON object per line, with why. */
export class DeadLetterFile {
  private stream?: WriteStream
  written = 0

  constructor(readonly file: string) {}

  write(letter: Omit<DeadLetter, 'at' | 'messageId'>): void {
    if (!this.stream) {
      mkdirSync(path.dirname(this.file), { recursive: true })
      this.stream = createWriteStream(this.file, { flags: 'a' })
    }
    const record: DeadLetter = { at: new Date().toISOString(), messageId: letter.event.messageId, ...letter }
    this.stream.write(`${JSON.stringify(record)}\n`)
    this.written++
  }

  async close(): Promise<void> {
    if (!this.stream) return
    this.stream.end()
    await once(this.stream, 'finish')
    this.stream = undefined
  }
}
