import type { Database, RootDatabase } from 'lmdb'
import type { DeadLetterInput } from '..'
import {
  byStart,
  FINISHED_KEPT,
  FinishedImport,
  FollowUp,
  FollowUpEnd,
  FollowUpInput,
  FollowUpKey,
  FollowUpProgress,
  FollowUpRow,
  ImportFollowUps
} from '../follow-ups'
import { END, TABLES } from './layout'

/** A follow-up as stored: its key is [subscription, listId, importFileId]. */
type StoredFollowUp = Omit<FollowUp, 'subscription' | 'listId' | 'importFileId'>
type HeaderKey = [string, number, string]
type RowKey = [string, number, string, number]

const headerKey = ({ subscription, listId, importFileId }: FollowUpKey): HeaderKey => [
  subscription,
  listId,
  importFileId
]

/**
 * The durable queue's follow-ups, in three tables of its store (see layout.ts). Recorded in the settle's
 * transaction (`record`, called from inside it), finished in one of their own with the dead letters.
 */
export class LmdbFollowUps implements ImportFollowUps {
  private readonly headers: Database<StoredFollowUp, HeaderKey>
  private readonly rowsTable: Database<FollowUpRow, RowKey>
  private readonly done: Database<FinishedImport, number>
  private nextFinished: number

  constructor(
    root: RootDatabase,
    /** Writes in one transaction of the queue's store, as its own writes go. */
    private readonly commit: (write: () => void) => Promise<void>,
    /** Puts a dead letter, inside a transaction of `commit`. */
    private readonly putLetter: (letter: DeadLetterInput, at: string) => void
  ) {
    this.headers = root.openDB(TABLES.imports, {})
    this.rowsTable = root.openDB(TABLES.importRows, {})
    this.done = root.openDB(TABLES.importsFinished, {})
    const [last] = this.done.getKeys({ reverse: true, limit: 1 })
    this.nextFinished = (last ?? 0) + 1
  }

  /** The tables, for the store's size. */
  tables(): Database[] {
    return [this.headers, this.rowsTable, this.done] as unknown as Database[]
  }

  /** Inside the settle's transaction: the imports and their rows. */
  record(subscription: string, followUps: FollowUpInput[], at: string): void {
    for (const { listId, importFileId, importType, rows } of followUps) {
      const key: HeaderKey = [subscription, listId, importFileId]
      // The same import in a second settlement (not expected: one delivery, one settlement) adds its rows.
      const before = this.headers.get(key)
      const header: StoredFollowUp = before
        ? { ...before, rows: before.rows + rows.length }
        : { ...(importType ? { importType } : {}), startedAt: at, rows: rows.length, polls: 0 }
      this.headers.put(key, header)
      for (const { position, emailAddress, event, attempts } of rows) {
        this.rowsTable.put([subscription, listId, importFileId, position], { emailAddress, event, attempts })
      }
    }
  }

  async following(): Promise<FollowUp[]> {
    const found = Array.from(this.headers.getRange(), ({ key: [subscription, listId, importFileId], value }) => ({
      subscription,
      listId,
      importFileId,
      ...value
    }))
    return found.sort(byStart)
  }

  /** An import's rows: keyed by the import's key and a position; '' sorts after every position, ending the range. */
  private rowRange(key: FollowUpKey): { start: RowKey; end: RowKey } {
    const prefix = headerKey(key)
    return { start: prefix as unknown as RowKey, end: [...prefix, END] as unknown as RowKey }
  }

  async rows(key: FollowUpKey): Promise<FollowUpRow[]> {
    return Array.from(this.rowsTable.getRange(this.rowRange(key)), ({ value }) => value)
  }

  async claim(): Promise<boolean> {
    return true
  }

  async progress(key: FollowUpKey, progress: FollowUpProgress): Promise<void> {
    const before = this.headers.get(headerKey(key))
    if (!before) return
    await this.commit(() => this.headers.put(headerKey(key), { ...before, ...progress }))
  }

  async finish(key: FollowUpKey, { report, letters }: FollowUpEnd): Promise<boolean> {
    // One runtime owns the store, and it finishes a follow-up once: what is there now is there at the commit.
    if (this.headers.get(headerKey(key)) === undefined) return false
    const rowKeys = Array.from(this.rowsTable.getKeys(this.rowRange(key)))
    const at = report.finishedAt
    const number = this.nextFinished++
    const forgotten = Array.from(this.done.getKeys({ end: number - FINISHED_KEPT + 1 }))
    await this.commit(() => {
      for (const letter of letters) this.putLetter(letter, at)
      this.headers.remove(headerKey(key))
      for (const rowKey of rowKeys) this.rowsTable.remove(rowKey)
      this.done.put(number, report)
      for (const old of forgotten) this.done.remove(old)
    })
    return true
  }

  async finished(): Promise<FinishedImport[]> {
    return Array.from(this.done.getRange({ reverse: true, limit: FINISHED_KEPT }), ({ value }) => value)
  }
}
