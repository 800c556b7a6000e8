import type { InputField } from '@segment/actions-core'
import { MAX_ROWS_PER_IMPORT } from '../api/list-imports'

/**
 * The field the contact actions share for sending large batches in list imports: how many contacts make one. Each
 * action has its own field that turns imports on.
 */

/** Contacts that make an import: by default, and the bounds a mapping may set. */
export const BULK_THRESHOLD = { default: 100, min: 2, max: MAX_ROWS_PER_IMPORT }

const thousands = (n: number) => n.toLocaleString('en-US')

/** The threshold field, shown once `shownWhen` holds (imports are on): it means nothing otherwise. */
export function bulkMinContacts(shownWhen: NonNullable<InputField['depends_on']>): InputField {
  return {
    label: 'Bulk Import Threshold',
    description:
      `The fewest contacts that make a list import, from ${BULK_THRESHOLD.min} to ${thousands(
        BULK_THRESHOLD.max
      )}: the ` +
      'contacts of a batch share an import when they go to the same list with the same subscription change, update ' +
      'type and profile fields, and a smaller group goes one request per contact.',
    type: 'integer',
    required: false,
    minimum: BULK_THRESHOLD.min,
    maximum: BULK_THRESHOLD.max,
    default: BULK_THRESHOLD.default,
    depends_on: shownWhen
  }
}

/** The mapping's threshold, brought within its bounds; without one, the default. */
export function bulkThresholdOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return BULK_THRESHOLD.default
  return Math.min(BULK_THRESHOLD.max, Math.max(BULK_THRESHOLD.min, Math.floor(value)))
}
