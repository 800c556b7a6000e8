import type { Outcome } from '../pipeline/delivery'
import type { QueuedEvent } from '../queue'
import type { FollowUpInput } from '../queue/follow-ups'

/** A delivered event of a batch, with what came of it and the attempts counted with this one. */
export interface DeliveredEvent {
  item: QueuedEvent
  outcome: Outcome
  attempts: number
}

/**
 * Pure: the list imports a delivery settles, one per list and import, with each event that went in one and the
 * address of its row. Listrak reports an address it refuses (invalid, banned, suppressed) only in the import's
 * per-contact results, later: these are what the follower reads them for.
 */
export function followUpsOf(delivered: DeliveredEvent[]): FollowUpInput[] {
  const byImport = new Map<string, FollowUpInput>()
  for (const { item, outcome, attempts } of delivered) {
    const { listImport, listId } = outcome
    if (!listImport || listId === undefined) continue
    const id = `${listId}/${listImport.importFileId}`
    let followUp = byImport.get(id)
    if (!followUp) {
      const importType = listImport.importType ? { importType: listImport.importType } : {}
      followUp = { listId, importFileId: listImport.importFileId, ...importType, rows: [] }
      byImport.set(id, followUp)
    }
    followUp.rows.push({ position: item.position, emailAddress: listImport.emailAddress, event: item.event, attempts })
  }
  return [...byImport.values()]
}
