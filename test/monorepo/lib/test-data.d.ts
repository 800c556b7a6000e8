/* eslint-disable @typescript-eslint/no-explicit-any -- the generator's own types: any destination and action in,
   untyped data out */
import type { ActionDefinition, DestinationDefinition } from '@segment/actions-core'

/**
 * destination-actions' test-data generator (packages/destination-actions/src/lib/test-data.ts in Segment's
 * monorepo), as its published declaration states it: the snapshot tests of test/segment/ import it, and the
 * export points their import at the monorepo's module. Only its type is here; `npm run check:segment` runs those
 * tests with the generator itself.
 *
 * It answers `[eventData, settingsData]`: a value for each of the action's fields (only the required ones, and those
 * whose name holds "id" or "consent", when `isRequiredOnly`) and for each of the destination's settings, drawn from
 * a random generator seeded with `seedName`.
 */
export declare function generateTestData(
  seedName: string,
  destination: DestinationDefinition<any>,
  action: ActionDefinition<any>,
  isRequiredOnly: boolean
): any[]
