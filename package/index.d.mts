import type { DestinationDefinition } from '@segment/actions-core'
import type { Settings } from '../dist/package/index.js'

/** The destination, registered as "Listrak-Actions": `new Destination(listrak)` from `@segment/actions-core`. */
declare const listrak: DestinationDefinition<Settings>

export default listrak
export type { Settings }
