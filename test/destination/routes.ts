import { createTestIntegration, defaultValues, Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import destination from '../../src'
import { ACCESS_TOKEN, API, auth, settings } from './fixtures'

/** Listrak's contact and transactional-message routes as nock answers them, and runs of the actions that use them. */

export const contactPath = (listId: number) => `/email/v1/List/${listId}/Contact`
export const messagePath = (listId: number, messageId: number) =>
  `/email/v1/List/${listId}/TransactionalMessage/${messageId}/Message`

export interface Received {
  query: Record<string, string>
  body: unknown
}

/** Records each request to `path` (query and JSON body) and answers 201 with resource IDs r-1, r-2 … in order. */
export function accept(path: string, times = 50) {
  const received: Received[] = []
  nock(API)
    .post(path)
    .query(true)
    .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
    .matchHeader('content-type', 'application/json')
    .times(times)
    .reply(function (uri, body) {
      const query = Object.fromEntries(new URL(uri, API).searchParams)
      received.push({ query, body })
      return [201, { status: 201, resourceId: `r-${received.length}` }]
    })
  return received
}

/** A track event from a contact whose address is in `context.traits`, with `properties`. */
export const track = (email: string, properties: Record<string, unknown> = {}, event = 'Order Completed') =>
  ({
    type: 'track',
    event,
    userId: `user-${email}`,
    properties,
    context: { traits: { email } }
  }) as Partial<SegmentEvent>

export type Multistatus = {
  status: number
  errortype?: string
  errormessage?: string
  sent?: unknown
  body?: unknown
}[]

/** Runs a batch through actions-core's real mapping, validation and performBatch; one result per event. */
export async function runBatch(
  action: string,
  events: Partial<SegmentEvent>[],
  mapping: Record<string, unknown>,
  definition = destination
) {
  const integration = createTestIntegration(definition)
  await integration.testBatchAction(action, {
    events: events as SegmentEvent[],
    mapping: mapping as never,
    settings,
    auth,
    useDefaultMappings: true
  })
  const [result] = integration.results as { multistatus: Multistatus }[]
  return result.multistatus
}

/** Runs one event through `perform`; answers with what the action returned. */
export async function runSingle(action: string, event: Partial<SegmentEvent>, mapping: Record<string, unknown>) {
  const integration = createTestIntegration(destination)
  await integration.testAction(action, {
    event,
    mapping: { ...mapping, enable_batching: false } as never,
    settings,
    auth,
    useDefaultMappings: true
  })
  const executed = integration.results.find((r) => r.output === 'Action Executed')
  return executed?.data
}

/**
 * Runs a batch through actions-core's `Destination.onBatch` with an OAuth token, as Segment does: a 401 among the
 * results makes actions-core fetch a new token and run the whole batch again.
 */
export async function runBatchWithOAuth(
  action: keyof typeof destination.actions,
  events: Partial<SegmentEvent>[],
  mapping: Record<string, unknown>
) {
  const subscription = {
    subscribe: 'type = "track"',
    partnerAction: action,
    mapping: { ...defaultValues(destination.actions[action].fields), ...mapping }
  }
  const [result] = (await new Destination(destination).onBatch(
    events as SegmentEvent[],
    {
      ...settings,
      oauth: { access_token: ACCESS_TOKEN },
      subscription
    } as never
  )) as { multistatus: Multistatus }[]
  return result.multistatus
}
