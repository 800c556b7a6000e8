import { METHOD } from '../../../sandbox/contacts'
import type { SandboxState } from '../../../sandbox/state'

/** A contact of the embedded sandbox, as the replay shows it. */
export interface SandboxContact {
  emailAddress: string
  /** Profile field values by field ID. */
  fields: Record<string, string>
  /** With the contact route's state (see ListContacts.states): subscribed or not, external ID, events raised. */
  subscriptionState?: string
  externalContactID?: string
  events?: number[]
}

/** Contacts of one list in the embedded sandbox, after the replay. */
export interface ListContacts {
  listId: number
  listName: string
  count: number
  /**
   * How many are subscribed and unsubscribed, when the contact route wrote to the list (a contact action): a
   * profile field import only adds subscribed contacts, so the state says nothing there and is left out.
   */
  states?: { subscribed: number; unsubscribed: number }
  /** The first few contacts, as the sandbox holds them. */
  first: SandboxContact[]
  /** Per profile field the contacts hold: how many hold each value, the most common first, and the rest summed. */
  fields: { id: string; name?: string; values: [string, number][]; otherValues: number }[]
}

/** Transactional messages the embedded sandbox recorded as sent, per list and message. */
export interface SentMessages {
  total: number
  /** The sandbox keeps the newest sends only: `total` counts them all, the rest is about the ones kept. */
  kept: number
  messages: {
    listId: number
    transactionalMessageId: number
    name?: string
    sent: number
    recipients: number
    /** The first few recipients: how many of this message each got, and the merge values of the last one. */
    first: { emailAddress: string; count: number; mergeValues: Record<string, string> }[]
  }[]
}

const CONTACTS_SHOWN = 5
const VALUES_SHOWN = 5

/** Each list of the sandbox with its contacts, summed up: how many, the first few, and the values they hold. */
export function sandboxContacts(state: SandboxState): ListContacts[] {
  return [...state.lists.values()].map(({ summary, fields: listFields }) => {
    const contacts = state.contactDetailsOf(summary.listId)
    const counts = new Map<string, Map<string, number>>()
    for (const contact of contacts) {
      for (const [id, value] of Object.entries(contact.fields)) {
        const values = counts.get(id) ?? new Map<string, number>()
        values.set(value, (values.get(value) ?? 0) + 1)
        counts.set(id, values)
      }
    }
    const fields = [...counts.entries()]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([id, values]) => {
        const sorted = [...values.entries()].sort((a, b) => b[1] - a[1])
        const name = listFields.get(Number(id))?.segmentationFieldName
        return {
          id,
          ...(name ? { name } : {}),
          values: sorted.slice(0, VALUES_SHOWN),
          otherValues: sorted.slice(VALUES_SHOWN).reduce((sum, [, n]) => sum + n, 0)
        }
      })
    // The contact route wrote to this list: a state other than an import's, an external ID or events raised.
    const written = contacts.some(
      (c) =>
        c.subscribeMethod !== METHOD.IMPORT ||
        c.subscriptionState !== 'Subscribed' ||
        c.externalContactID !== null ||
        c.events.length > 0
    )
    const first = contacts.slice(0, CONTACTS_SHOWN).map((c): SandboxContact =>
      written
        ? {
            emailAddress: c.emailAddress,
            fields: c.fields,
            subscriptionState: c.subscriptionState,
            ...(c.externalContactID === null ? {} : { externalContactID: c.externalContactID }),
            ...(c.events.length > 0 ? { events: c.events.map((e) => e.eventId) } : {})
          }
        : { emailAddress: c.emailAddress, fields: c.fields }
    )
    const unsubscribed = contacts.filter((c) => c.subscriptionState === 'Unsubscribed').length
    return {
      listId: summary.listId,
      listName: summary.listName,
      count: contacts.length,
      ...(written ? { states: { subscribed: contacts.length - unsubscribed, unsubscribed } } : {}),
      first,
      fields
    }
  })
}

/** The transactional messages the sandbox recorded, per list and message: how many, to whom, with which values. */
export function sandboxMessages(state: SandboxState): SentMessages {
  const { total, kept, data } = state.messagesSent({})
  const groups = new Map<string, typeof data>()
  for (const send of data) {
    const key = `${send.listId}|${send.transactionalMessageId}`
    groups.set(key, [...(groups.get(key) ?? []), send])
  }
  const messages = [...groups.values()].map((sends) => {
    const { listId, transactionalMessageId } = sends[0]
    const perRecipient = new Map<string, { emailAddress: string; count: number; mergeValues: Record<string, string> }>()
    for (const send of sends) {
      const key = send.emailAddress.toLowerCase()
      const mergeValues = Object.fromEntries(send.segmentationFieldValues.map((v) => [v.segmentationFieldId, v.value]))
      const count = (perRecipient.get(key)?.count ?? 0) + 1
      perRecipient.set(key, { emailAddress: send.emailAddress, count, mergeValues })
    }
    const name = state.lists.get(listId)?.transactionalMessages.get(transactionalMessageId)?.transactionalMessageName
    return {
      listId,
      transactionalMessageId,
      ...(name ? { name } : {}),
      sent: sends.length,
      recipients: perRecipient.size,
      first: [...perRecipient.values()].slice(0, CONTACTS_SHOWN)
    }
  })
  return { total, kept, messages }
}

/** The sandbox's contacts after a replay, as a person reads them. */
export function formatContacts(lists: ListContacts[]): string {
  const lines = ['Contacts in the sandbox after the replay:']
  for (const list of lists) {
    const heading = `  list ${list.listId} "${list.listName}": `
    if (list.count === 0) {
      lines.push(`${heading}no contacts`)
      continue
    }
    const states = list.states ? `, ${list.states.subscribed} subscribed, ${list.states.unsubscribed} unsubscribed` : ''
    lines.push(`${heading}${list.count} contact(s)${states}`)
    for (const field of list.fields) {
      const values = field.values.map(([value, n]) => `${JSON.stringify(value)} ${n}`)
      if (field.otherValues) values.push(`other values ${field.otherValues}`)
      lines.push(`    field ${field.id}${field.name ? ` ${field.name}` : ''}: ${values.join(', ')}`)
    }
    const width = Math.max(...list.first.map((c) => c.emailAddress.length))
    for (const contact of list.first) {
      const { emailAddress, fields, subscriptionState, externalContactID, events } = contact
      const state = [
        ...(subscriptionState ? [subscriptionState] : []),
        ...(externalContactID ? [`external ID ${externalContactID}`] : []),
        ...(events ? [`events ${events.join(', ')}`] : [])
      ].join(', ')
      lines.push(`    ${emailAddress.padEnd(width)}  ${JSON.stringify(fields)}${state ? `  ${state}` : ''}`)
    }
    if (list.count > list.first.length) lines.push(`    … and ${list.count - list.first.length} more`)
  }
  return lines.join('\n')
}

/** The transactional messages the sandbox recorded after a replay, as a person reads them; empty when none. */
export function formatMessages(sent: SentMessages): string {
  if (sent.total === 0) return ''
  const kept = sent.kept < sent.total ? ` (the sandbox kept the newest ${sent.kept}; what follows is about them)` : ''
  const lines = [`Transactional messages sent in the sandbox: ${sent.total}${kept}`]
  for (const message of sent.messages) {
    const name = message.name ? ` "${message.name}"` : ''
    lines.push(
      `  list ${message.listId}, message ${message.transactionalMessageId}${name}: ${message.sent} sent to ` +
        `${message.recipients} recipient(s)`
    )
    const width = Math.max(...message.first.map((r) => r.emailAddress.length))
    for (const { emailAddress, count, mergeValues } of message.first)
      lines.push(`    ${emailAddress.padEnd(width)}  ${count}×  ${JSON.stringify(mergeValues)}`)
    if (message.recipients > message.first.length)
      lines.push(`    … and ${message.recipients - message.first.length} more`)
  }
  return lines.join('\n')
}
