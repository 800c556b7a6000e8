import { defaultValues } from '@segment/actions-core'
import type { Preset } from '@segment/actions-core'
import sendTransactionalMessage from './sendTransactionalMessage'
import unsubscribeContact from './unsubscribeContact'
import updateEmailContactProfileFields from './updateEmailContactProfileFields'
import upsertContact from './upsertContact'

/**
 * Mappings a new user adds in one click; each leaves to them only the IDs of their own account (the list, and the
 * transactional message), which its field offers by name. Engage's audiences arrive as identify and track events
 * marked with `context.personas`, so audience presets are `automatic` ones on those events: actions-core's
 * `specificEvent` presets name warehouse (Linked Audiences) and Journeys events, not these.
 */
export const presets: Preset[] = [
  {
    name: 'Sync Engage audience to a check-box field',
    type: 'automatic',
    // Engage sends an audience's identify and track events with this class; no other event has it.
    subscribe: 'context.personas.computation_class = "audience"',
    partnerAction: 'updateEmailContactProfileFields',
    // The one mapping for every audience: the check box named like the audience, created when missing, set on or
    // off by the membership as "useAudienceKey" sets it. A literal profile field ID could not be the user's.
    mapping: { ...defaultValues(updateEmailContactProfileFields.fields), audienceProfileField: 'match_or_create' }
  },
  {
    name: 'Subscribe contacts who enter an audience',
    type: 'automatic',
    subscribe: 'type = "track" and event = "Audience Entered"',
    partnerAction: 'upsertContact',
    // In list imports: when an audience is first computed, Engage sends an Audience Entered for every member, so this
    // mapping meets the largest batches, and all it asks (a subscribe, an external ID) fits an import. An import is
    // applied later, but it adds subscribers without resubscribing anyone (Listrak's import summary counts previously
    // unsubscribed contacts apart), so one applied after a later unsubscribe does not undo it.
    mapping: { ...defaultValues(upsertContact.fields), subscriptionState: 'Subscribed', bulk_import: 'add_and_update' }
  },
  {
    name: 'Unsubscribe on Unsubscribed track events',
    type: 'automatic',
    subscribe: 'type = "track" and event = "Unsubscribed"',
    partnerAction: 'unsubscribeContact',
    mapping: defaultValues(unsubscribeContact.fields)
  },
  {
    name: 'Send a transactional message on Order Completed',
    type: 'automatic',
    subscribe: 'type = "track" and event = "Order Completed"',
    partnerAction: 'sendTransactionalMessage',
    mapping: defaultValues(sendTransactionalMessage.fields)
  }
]
