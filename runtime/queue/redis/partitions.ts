import type { SegmentEvent } from '@segment/actions-core'

/**
 * The partition of its subscription an event is queued in. A partition has one consumer at a time, which delivers
 * its events in order, so all events of one contact must land in the same one: the contact is the address the
 * action sends by default (`context.traits.email`, else `traits.email`), trimmed and lower-cased as Listrak
 * compares addresses, else the user. Every process must agree on it, on every machine and Node version: hence
 * FNV-1a over the UTF-8 bytes rather than anything seeded or platform-dependent.
 */
export function partitionOf(event: SegmentEvent, partitions: number): number {
  return fnv1a(contactOf(event)) % partitions
}

export function contactOf(event: SegmentEvent): string {
  const email = emailIn(event.context?.traits) ?? emailIn(event.traits)
  if (email !== undefined) return `email:${email}`
  return `user:${event.userId ?? event.anonymousId ?? ''}`
}

function emailIn(traits: unknown): string | undefined {
  const email = (traits as { email?: unknown } | undefined)?.email
  if (typeof email !== 'string' || email.trim() === '') return undefined
  return email.trim().toLowerCase()
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
