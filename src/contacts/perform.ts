import type { ListrakRequest } from '../api/client'
import { PayloadValidationError } from '@segment/actions-core'
import type { Logger, MultiStatusResponse } from '@segment/actions-core'
import { failureToError } from '../api/errors'
import { limitRequests } from '../api/limit'
import type { Settings } from '../generated-types'
import { BulkOptions, planBulk } from './bulk-plan'
import { planContactRequests } from './plan'
import { ContactInput, prepareContacts } from './prepare'
import { toMultiStatus } from './results'
import { sendListImports, sendSequences } from './send'

/** One event: its contact's request, or the actions-core error a batch result would stand for. */
export async function performContact(
  request: ListrakRequest,
  settings: Settings,
  input: ContactInput,
  logger?: Logger
): Promise<{ listId: number; status: number; resourceId?: string; unchanged?: string }> {
  const [prepared] = await prepareContacts(request, settings, [input], logger)
  if (!prepared.ok) {
    throw prepared.failure ? failureToError(prepared.failure) : new PayloadValidationError(prepared.message)
  }
  const [[outcome]] = await sendSequences(request, planContactRequests([prepared]))
  if (!outcome.ok) throw failureToError(outcome.failure)
  return { listId: prepared.change.listId, ...outcome.body }
}

/**
 * A batch: events prepared, merged per contact, with `bulk` the contacts an import can carry put in list imports,
 * sent with at most `concurrency` requests in flight, imports and contacts' requests together.
 */
export async function performContactBatch(
  unlimited: ListrakRequest,
  settings: Settings,
  inputs: ContactInput[],
  concurrency: number,
  logger?: Logger,
  bulk?: BulkOptions
): Promise<MultiStatusResponse> {
  const request = limitRequests(unlimited, concurrency)
  const prepared = await prepareContacts(request, settings, inputs, logger)
  const planned = planContactRequests(prepared)
  const { imports, sequences } = bulk ? planBulk(prepared, planned, bulk) : { imports: [], sequences: planned }
  const [outcomes, importOutcomes] = await Promise.all([
    sendSequences(request, sequences),
    sendListImports(request, imports)
  ])
  return toMultiStatus(prepared, sequences, outcomes, imports, importOutcomes)
}
