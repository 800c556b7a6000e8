import { defaultValues, Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import destination from '../../src'
import { standInDestination } from '../sandbox/client'

/** The actions run through actions-core's real Destination, as a runtime runs them, against the sandbox. */

export type ActionSlug =
  'updateEmailContactProfileFields' | 'upsertContact' | 'unsubscribeContact' | 'sendTransactionalMessage'

export type Result = {
  status: number
  errortype?: string
  errormessage?: string
  sent?: Record<string, unknown>
  body?: Record<string, unknown>
}

/**
 * Settings as a runtime holds them: the demo credentials and one subscription whose mapping is the action's field
 * defaults under `mapping`. With `token`, the access token a runtime already holds; without, the first 401 fetches one.
 */
export function settingsFor(action: ActionSlug, mapping: Record<string, unknown>, token?: string) {
  return {
    client_id: 'demo-client-id',
    client_secret: 'demo-client-secret',
    oauth: token === undefined ? {} : { access_token: token },
    subscription: {
      subscribe: 'type = "track"',
      partnerAction: action,
      mapping: { ...defaultValues(destination.actions[action].fields), ...mapping }
    }
  }
}

/** A batch through `onBatch` (mapping, validation, `performBatch`): one result per event, in order. */
export async function runBatch(
  action: ActionSlug,
  events: Partial<SegmentEvent>[],
  mapping: Record<string, unknown>,
  token?: string
): Promise<Result[]> {
  const [result] = (await new Destination(standInDestination()).onBatch(
    events as SegmentEvent[],
    settingsFor(action, { ...mapping, enable_batching: true }, token) as never
  )) as { multistatus?: Result[] }[]
  if (!result?.multistatus) throw new Error(`${action}: onBatch gave no per-event results`)
  return result.multistatus
}

/** What a single event's `perform` gave: its return value, or the actions-core error it threw. */
export type Single =
  { ok: true; data: Record<string, unknown> } | { ok: false; error: Error & { status?: number; code?: string } }

/** One event through `onEvent` (mapping, validation, `perform`), with batching off as the mapping sets it. */
export async function runEvent(
  action: ActionSlug,
  event: Partial<SegmentEvent>,
  mapping: Record<string, unknown>,
  token?: string
): Promise<Single> {
  try {
    const results = (await new Destination(standInDestination()).onEvent(
      event as SegmentEvent,
      settingsFor(action, { ...mapping, enable_batching: false }, token) as never
    )) as { data?: Record<string, unknown> }[]
    const executed = results.find((r) => r.data !== undefined)
    return { ok: true, data: executed?.data ?? {} }
  } catch (error) {
    return { ok: false, error: error as Error & { status?: number; code?: string } }
  }
}

export { track } from '../destination/routes'

/** The statuses Segment retries: 408, 423, 429 and 5xx. Everything else is final. */
export const isRetryable = (status: number) => status === 408 || status === 423 || status === 429 || status >= 500
