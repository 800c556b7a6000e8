import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, JSONObject, SegmentEvent } from '@segment/actions-core'
import definition from '../../src'
import { parseConfig } from '../../runtime/config'
import { Deliverer } from '../../runtime/pipeline/delivery'
import { compileSubscriptions } from '../../runtime/pipeline/subscriptions'
import { TokenCache } from '../../runtime/pipeline/tokens'

/**
 * Required fields actions-core finds missing, named by the runtime for whoever reads the dead letter: through
 * actions-core's real Destination, one event at a time and in a batch. Nothing is sent: the events are refused
 * before their requests.
 */

const settings = { client_id: 'an-id', client_secret: 'a-secret' }

function deliver(subscription: Record<string, unknown>, events: SegmentEvent[], given: object = settings) {
  const [compiled] = compileSubscriptions(parseConfig({ subscriptions: [subscription] }, 'config', {}))
  const destination = new Destination<JSONObject>(definition as unknown as DestinationDefinition<JSONObject>)
  const tokens = new TokenCache(async () => ({ accessToken: 'a-token' }))
  return new Deliverer(destination, given as Record<string, unknown>, tokens).deliver(compiled, events)
}

const track = { type: 'track', event: 'Order Completed', messageId: 'm1', properties: {} } as SegmentEvent

describe('a required field actions-core finds missing', () => {
  it('is named with its label and the paths read, every one of an event, in a batch', async () => {
    const [outcome] = await deliver(
      {
        name: 'fields',
        subscribe: 'type = "track"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: { listId: { '@path': '$.properties.list_id' }, profileFieldValues: { '6789': 'on' } }
      },
      [track]
    )
    expect(outcome).toMatchObject({ kind: 'refused', status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' })
    expect(outcome.reason).toBe(
      "List ID is missing: nothing at $.properties.list_id (the subscription's mapping of listId). " +
        "Email Address is missing: nothing at $.context.traits.email or $.traits.email (emailAddress, the action's " +
        'default; map emailAddress in the subscription to read it from elsewhere).'
    )
  })

  it('says the mapping has none when the field has no default, one event at a time', async () => {
    const [outcome] = await deliver(
      {
        name: 'messages',
        subscribe: 'type = "track"',
        partnerAction: 'sendTransactionalMessage',
        mapping: { listId: 12345, emailAddress: 'jane@example.com', enable_batching: false }
      },
      [track]
    )
    expect(outcome).toMatchObject({ kind: 'refused', status: 400 })
    expect(outcome.reason).toBe(
      'Transactional Message ID is missing: the mapping has no transactionalMessageId; map it in the subscription.'
    )
  })

  it("leaves a missing setting in actions-core's words: it is no field of the action", async () => {
    const messages = {
      name: 'messages',
      subscribe: 'type = "track"',
      partnerAction: 'sendTransactionalMessage',
      mapping: { listId: 12345, transactionalMessageId: 1, emailAddress: 'jane@example.com', enable_batching: false }
    }
    const [outcome] = await deliver(messages, [track], { client_secret: 'a-secret' })
    expect(outcome.reason).toBe("The root value is missing the required field 'client_id'.")
  })
})
