import type { DestinationDefinition } from '@segment/actions-core'
import definition from '../../src'
import type { Settings } from '../../src/generated-types'
import { guardDefinition } from './guards'

/**
 * The name the installed destination registers under. actions-core keys its payload and settings validation as
 * `<destination name>:<action title>` and hands that key to ajv, which parses it as a URI: "Listrak (Actions)"
 * is not a valid URI scheme, and fast-uri 3.1.6 and later (the versions with its security fixes) refuse it, so
 * every event would fail validation. A name that is a valid scheme works with every fast-uri. `src/` keeps
 * "Listrak (Actions)", the name of Segment's catalogue entry, for Segment's monorepo.
 */
export const DESTINATION_NAME = 'Listrak-Actions'

/** Register it with `new Destination(listrak)` from `@segment/actions-core`. */
const listrak: DestinationDefinition<Settings> = guardDefinition({ ...definition, name: DESTINATION_NAME })

export default listrak
export type { Settings }
