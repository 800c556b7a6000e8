import type { InputField } from '@segment/actions-core'
import { IntegerBounds, withinBounds } from './bounds'

/**
 * Fields of the actions that send one request per contact or message (every action but Update Email Contact
 * Profile Fields, whose imports hold many contacts): how many a batch has in flight at once.
 */

/** Listrak requests one batch may have in flight at once: by default, and the bounds a mapping may set. */
export const REQUESTS_IN_FLIGHT: IntegerBounds = { default: 4, min: 1, max: 16 }

export const maxConcurrentRequests: InputField = {
  label: 'Requests in Flight',
  description:
    `How many requests to Listrak one batch may have in flight at once, from ${REQUESTS_IN_FLIGHT.min} to ` +
    `${REQUESTS_IN_FLIGHT.max}. Listrak takes one contact or message per request, so a batch sends many.`,
  type: 'integer',
  required: false,
  minimum: REQUESTS_IN_FLIGHT.min,
  maximum: REQUESTS_IN_FLIGHT.max,
  default: REQUESTS_IN_FLIGHT.default
}

/** The mapping's bound on requests in flight, brought within 1..16; without one, the default. */
export const concurrencyOf = (value: unknown): number => withinBounds(value, REQUESTS_IN_FLIGHT)

/** Batching for an action that sends one request per contact or message: a batch overlaps them. */
export function enableBatching(what: string): InputField {
  return {
    label: 'Batch Data to Listrak',
    description:
      `When enabled, Segment sends events to this destination in batches, and each batch sends its ${what} to ` +
      'Listrak concurrently (see Requests in Flight), with one result per event.',
    type: 'boolean',
    required: true,
    default: true
  }
}
