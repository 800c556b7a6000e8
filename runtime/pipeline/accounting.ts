import type { Logger } from 'pino'
import type { QueuedEvent, Settlement } from '../queue'
import type { RuntimeStats } from '../stats'
import { mappedListId } from './delivery'
import type { Outcome } from './delivery'
import { attemptsMade, Lane, runtimeAction } from './lane'
import type { Refusal } from './refusal-log'

/** Counts a stored settlement in the stats. */
export function countSettlement(
  stats: RuntimeStats,
  lane: Lane,
  settlement: Settlement,
  outcomes: Map<number, Outcome>
): void {
  const name = lane.subscription.name
  const { sends } = runtimeAction(lane)
  for (const position of settlement.delivered) {
    const { listId, resourceId, unchanged, listImport } = outcomes.get(position) as Outcome
    stats.count('delivered', name, listId)
    if (unchanged) stats.unchangedBecause(unchanged)
    if (listId === undefined) continue
    if ((sends === 'imports' || listImport) && resourceId) stats.importAccepted(listId, resourceId)
    if (sends === 'messages') stats.messageSent(listId)
  }
  for (const { position } of settlement.retried) stats.count('retried', name, outcomes.get(position)?.listId)
  for (const { position, letter } of settlement.deadLettered) {
    const outcome = outcomes.get(position) as Outcome
    if (outcome.kind === 'refused') stats.count('refused', name, outcome.listId)
    stats.count('deadLettered', name, outcome.listId)
    stats.reason(`${outcome.status} ${outcome.errortype ?? ''}`.trim(), letter.reason)
  }
}

/**
 * One log line per list the delivery touched: events, statuses and duration; never settings or tokens. An event
 * refused before it was sent counts under the list its mapping names.
 */
export function logDelivery(
  logger: Logger,
  lane: Lane,
  batch: QueuedEvent[],
  outcomes: Outcome[],
  durationMs: number
): void {
  const previousAttempts = batch[0] ? attemptsMade(batch[0]) : 0
  const byList = new Map<string, Record<number, number>>()
  for (const [i, outcome] of outcomes.entries()) {
    const listId = outcome.listId ?? mappedListId(lane.subscription.mapping, batch[i].event)
    const list = listId === undefined ? 'none' : String(listId)
    const statuses = byList.get(list) ?? {}
    statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1
    byList.set(list, statuses)
  }
  for (const [listId, statuses] of byList) {
    const events = Object.values(statuses).reduce((a, b) => a + b, 0)
    logger.info(
      {
        subscription: lane.subscription.name,
        action: lane.subscription.partnerAction,
        listId,
        events,
        statuses,
        attempt: previousAttempts + 1,
        durationMs: Math.round(durationMs)
      },
      'delivery'
    )
  }
}

/** The dead-lettered events of a stored settlement, as the refusal log tells of them. */
export function refusalsOf(settlement: Settlement, outcomes: Map<number, Outcome>): Refusal[] {
  return settlement.deadLettered.map(({ position, letter }) => ({
    reason: letter.reason,
    status: letter.status,
    errortype: outcomes.get(position)?.errortype,
    listId: letter.listId,
    messageId: letter.event.messageId
  }))
}

/** Counts and logs a store failure that leaves events where they are, for a later try. */
export function countStoreFailure(stats: RuntimeStats, logger: Logger, error: Error, subscription: string): void {
  stats.storeErrors++
  logger.error({ subscription, err: error.message }, 'the queue store failed; the events stay queued')
}
