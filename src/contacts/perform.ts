import type { ListrakRequest } from '../api/client'
import { PayloadValidationError } from '@segment/actions-core'
import type { Logger, MultiStatusResponse } from '@segment/actions-core'
import { failureToError } from '../api/errors'
import { limitRequests } from '../api/limit'
import type { Settings } from '../generated-types'
import { planContactRequests } from './plan'
import { ContactInput, prepareContacts } from './prepare'
import { toMultiStatus } from './results'
import { sendSequences } from './send'

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

/** A batch: events prepared, merged per contact, sent with at most `concurrency` requests in flight. */
export async function performContactBatch(
  unlimited: ListrakRequest,
  settings: Settings,
  inputs: ContactInput[],
  concurrency: number,
  logger?: Logger
): Promise<MultiStatusResponse> {
  const request = limitRequests(unlimited, concurrency)
  const prepared = await prepareContacts(request, settings, inputs, logger)
  const sequences = planContactRequests(prepared)
  return toMultiStatus(prepared, sequences, await sendSequences(request, sequences))
}
