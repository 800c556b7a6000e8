import type { DeadLetterInput } from '.'
import {
  byStart,
  FINISHED_KEPT,
  FinishedImport,
  FollowUp,
  FollowUpEnd,
  FollowUpInput,
  FollowUpKey,
  followUpId,
  FollowUpProgress,
  FollowUpRow,
  ImportFollowUps
} from './follow-ups'

/** The in-memory queue's follow-ups: lost with the process, as its events are. */
export class MemoryFollowUps implements ImportFollowUps {
  private readonly open = new Map<string, { followUp: FollowUp; rows: FollowUpRow[] }>()
  private readonly done: FinishedImport[] = []

  /** `writeLetters` stores dead letters where the queue keeps its own (its NDJSON file). */
  constructor(private readonly writeLetters: (letters: DeadLetterInput[]) => Promise<void>) {}

  record(subscription: string, followUps: FollowUpInput[], at: string): void {
    for (const { listId, importFileId, importType, rows } of followUps) {
      const key = { subscription, listId, importFileId }
      const id = followUpId(key)
      let entry = this.open.get(id)
      if (!entry) {
        const followUp: FollowUp = { ...key, ...(importType ? { importType } : {}), startedAt: at, rows: 0, polls: 0 }
        this.open.set(id, (entry = { followUp, rows: [] }))
      }
      for (const { emailAddress, event, attempts } of rows) entry.rows.push({ emailAddress, event, attempts })
      entry.followUp.rows = entry.rows.length
    }
  }

  async following(): Promise<FollowUp[]> {
    return [...this.open.values()].map(({ followUp }) => ({ ...followUp })).sort(byStart)
  }

  async rows(key: FollowUpKey): Promise<FollowUpRow[]> {
    return [...(this.open.get(followUpId(key))?.rows ?? [])]
  }

  async claim(): Promise<boolean> {
    return true
  }

  async progress(key: FollowUpKey, progress: FollowUpProgress): Promise<void> {
    const entry = this.open.get(followUpId(key))
    if (entry) Object.assign(entry.followUp, progress)
  }

  async finish(key: FollowUpKey, { report, letters }: FollowUpEnd): Promise<boolean> {
    const id = followUpId(key)
    if (!this.open.has(id)) return false
    // The letters first: should the file refuse them, the follow-up stays, to be finished again.
    if (letters.length > 0) await this.writeLetters(letters)
    this.open.delete(id)
    this.done.unshift(report)
    this.done.length = Math.min(this.done.length, FINISHED_KEPT)
    return true
  }

  async finished(): Promise<FinishedImport[]> {
    return [...this.done]
  }
}
