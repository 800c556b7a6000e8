import type { InputField } from '@segment/actions-core'
import definition from '../../src'

/** What the runtime needs to know of an action beyond its fields: how it counts what it sent, and how it retries. */
export interface RuntimeAction {
  /** What one delivered event stands for in the stats: part of an import, a contact written, a message sent. */
  sends: 'imports' | 'contacts' | 'messages'
  /**
   * At most once: a batch of its events (no more than its mapping has requests in flight) is recorded as being
   * sent before it goes, so that after a crash (or a drain cut short, or a takeover on Redis) those events are
   * dead-lettered as OUTCOME_UNKNOWN rather than sent again. For what a customer must never get twice, whose
   * outcome nobody knows then.
   */
  atMostOnce: boolean
}

/** Every action the destination has, by the key a subscription's `partnerAction` names. */
export const RUNTIME_ACTIONS: Record<string, RuntimeAction> = {
  updateEmailContactProfileFields: { sends: 'imports', atMostOnce: false },
  upsertContact: { sends: 'contacts', atMostOnce: false },
  unsubscribeContact: { sends: 'contacts', atMostOnce: false },
  sendTransactionalMessage: { sends: 'messages', atMostOnce: true }
}

export const ACTION_KEYS = Object.keys(RUNTIME_ACTIONS) as [string, ...string[]]

/** The action a subscription names: its title, its fields and what the runtime knows of it. */
export function actionOf(key: string): RuntimeAction & { title: string; fields: Record<string, InputField> } {
  const action = definition.actions[key]
  return { ...RUNTIME_ACTIONS[key], title: action.title, fields: action.fields as Record<string, InputField> }
}
