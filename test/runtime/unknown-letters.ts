import type { SegmentEvent } from '@segment/actions-core'
import type { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import type { Sandbox } from '../../sandbox'
import { fetchToken } from '../sandbox/client'

/** Dead letters of unknown outcome in a store, and the sends Listrak took, for the reconcile tests. */

export const ORDER_SUBSCRIPTION = 'Order Completed → Order Confirmation'

/** An Order Completed event for the example transactional config, received at `receivedAt` (ms). */
export const order = (email: string, receivedAt: number) =>
  ({
    type: 'track',
    event: 'Order Completed',
    messageId: `order-${email}`,
    receivedAt: new Date(receivedAt).toISOString(),
    properties: { store: 'Downtown', points_earned: 1 },
    context: { traits: { email } }
  }) as SegmentEvent

/** Dead-letters events as the pipeline does a message of unknown outcome (424), or with another status. */
export async function deadLetter(
  store: LmdbQueue,
  events: SegmentEvent[],
  changes: { subscription?: string; status?: number } = {}
): Promise<void> {
  const subscription = changes.subscription ?? ORDER_SUBSCRIPTION
  const enqueued = await store.enqueue(
    events.map((event) => ({ event, subscriptions: [subscription] })),
    { dedup: false }
  )
  await store.settle({
    subscription,
    delivered: [],
    retried: [],
    deadLettered: enqueued.map((result, i) => ({
      position: result.duplicate ? -1 : result.position,
      letter: {
        subscription,
        status: changes.status ?? 424,
        reason: 'No answer from Listrak … the message may or may not have been sent.',
        attempts: 1,
        listId: 12345,
        event: events[i]
      }
    }))
  })
}

/** Sends the message to each address through the sandbox's own route, as Listrak took it. */
export async function sendThroughListrak(sandbox: Sandbox, emails: string[], messageId = 9001): Promise<void> {
  const token = await fetchToken(sandbox.authUrl)
  for (const emailAddress of emails) {
    const response = await fetch(`${sandbox.apiUrl}/List/12345/TransactionalMessage/${messageId}/Message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ emailAddress, segmentationFieldValues: [] })
    })
    if (response.status !== 201) throw new Error(`sending to ${emailAddress}: HTTP ${response.status}`)
  }
}
