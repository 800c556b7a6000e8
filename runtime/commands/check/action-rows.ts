import type { ListrakRequest, ListrakResult } from '../../../src/api/client'
import { getEvents } from '../../../src/api/events'
import { getProfileFields } from '../../../src/api/profile-fields'
import { getTransactionalMessages } from '../../../src/api/transactional-messages'
import { refusedCombination } from '../../../src/contacts/prepare'
import { USE_AUDIENCE_KEY } from '../../../src/profile-fields/rules'
import { readListImports } from '../../imports/listrak-reads'
import { actionOf } from '../../pipeline/actions'
import type { CompiledSubscription } from '../../pipeline/subscriptions'
import { eventRows, isDirective, isObject, messageRow, profileFieldRows, unmappedRows } from './mapped-values'
import { bulkImportOn, listImportRow } from './list-imports'
import type { Row } from './rows'

/** Reads of a list shared by the subscriptions on it: each is asked of Listrak at most once per check. */
export class ListReads {
  private readonly cache = new Map<string, Promise<ListrakResult<unknown>>>()

  constructor(private readonly request: ListrakRequest) {}

  private read<T>(what: string, listId: number, get: () => Promise<ListrakResult<T>>): Promise<ListrakResult<T>> {
    const key = `${what}|${listId}`
    if (!this.cache.has(key)) this.cache.set(key, get())
    return this.cache.get(key) as Promise<ListrakResult<T>>
  }

  fields = (listId: number) => this.read('fields', listId, () => getProfileFields(this.request, listId))
  events = (listId: number) => this.read('events', listId, () => getEvents(this.request, listId))
  messages = (listId: number) => this.read('messages', listId, () => getTransactionalMessages(this.request, listId))
  listImports = (listId: number) => this.read('listImports', listId, () => readListImports(this.request, listId))
}

const MERGE_VALUES_AUDIENCE = {
  reads: false as const,
  refusal: `Merge Values take no "${USE_AUDIENCE_KEY}": Send Transactional Message reads no audience membership`
}

/**
 * The rows of a subscription of Create or Update Contact, Unsubscribe Contact or Send Transactional Message on a
 * list that exists: the list, what its mapping names literally (profile fields and their values, Event IDs, the
 * transactional message), required fields left unmapped, and, with Bulk Import on, whether the list's imports can be
 * read.
 */
export async function newActionRows(
  subscription: CompiledSubscription,
  listId: number,
  reads: ListReads
): Promise<Row[]> {
  const { mapping, partnerAction } = subscription
  const action = actionOf(partnerAction)
  const rows: Row[] = [
    { field: '', status: 'ok', reason: `${action.title}: the list exists` },
    ...unmappedRows(action.fields, mapping)
  ]
  const failed = (result: { ok: false; failure: { message: string } }): Row => ({
    field: '',
    status: 'error',
    reason: result.failure.message
  })
  if (partnerAction === 'sendTransactionalMessage' && mapping.transactionalMessageId !== undefined) {
    if (isDirective(mapping.transactionalMessageId)) {
      rows.push({ field: 'Transactional Message', status: 'skipped', reason: 'the message comes from each event' })
    } else {
      const messages = await reads.messages(listId)
      rows.push(messages.ok ? messageRow(listId, mapping.transactionalMessageId, messages.data) : failed(messages))
    }
  }
  const values = mapping.profileFieldValues
  if (values !== undefined && values !== null) {
    const merge = partnerAction === 'sendTransactionalMessage'
    const fromEachEvent = `${merge ? 'Merge Values' : 'Profile Field Values'} come from each event`
    if (isDirective(values)) {
      rows.push({ field: '', status: 'skipped', reason: fromEachEvent })
    } else if (Object.keys(values).length > 0) {
      const fields = await reads.fields(listId)
      if (!fields.ok) rows.push(failed(fields))
      else {
        const audience = merge ? MERGE_VALUES_AUDIENCE : { reads: true as const }
        const literal = values as Record<string, unknown>
        rows.push(...profileFieldRows(listId, literal, fields.data.fields, audience, fromEachEvent))
      }
    }
  }
  if (
    (partnerAction === 'upsertContact' || partnerAction === 'unsubscribeContact') &&
    bulkImportOn(mapping.bulk_import)
  ) {
    rows.push(listImportRow(listId, await reads.listImports(listId)))
  }
  if (partnerAction === 'upsertContact') {
    if (mapping.eventIds !== undefined) {
      const events = await reads.events(listId)
      rows.push(...(events.ok ? eventRows(listId, mapping.eventIds, events.data) : [failed(events)]))
    }
    const refused =
      mapping.subscriptionState === 'Unsubscribed'
        ? refusedCombination({
            subscriptionState: 'Unsubscribed',
            hasValues: isObject(values) && Object.keys(values as object).length > 0,
            hasEvents:
              mapping.eventIds !== undefined && !(Array.isArray(mapping.eventIds) && mapping.eventIds.length === 0)
          })
        : undefined
    if (refused) {
      rows.push({
        field: 'Subscription State',
        status: 'error',
        reason:
          `"Unsubscribed" comes with ${refused.endsWith('EVENTS') ? 'Event IDs' : 'Profile Field Values'}, which Listrak ` +
          `refuses in one request (${refused}): send unsubscribes through a mapping of their own, such as Unsubscribe Contact`
      })
    }
  }
  return rows
}
