import { realpathSync } from 'fs'
import path from 'path'
import { fileURLToPath } from 'url'
import type { ActionDefinition, DestinationDefinition } from '@segment/actions-core'

/** The actions-core build (`…/@segment/actions-core/dist/cjs` or `…/dist/esm`) a stack frame belongs to. */
const CORE_BUILD = /^(.*[\\/]@segment[\\/]actions-core[\\/]dist[\\/](?:cjs|esm))[\\/]/

/** Frames looked at: the Destination constructor or executeBatch is a few frames above the guard. */
const STACK_DEPTH = 64

function ownCoreEntry(): string {
  return require.resolve('@segment/actions-core')
}

/**
 * The actions-core build that called into this package, from the innermost actions-core frame of the stack, or
 * undefined when no frame is recognisably actions-core's (for example in a bundle).
 */
function callingCoreBuild(): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error
  try {
    // Raw call sites give the files as loaded, whatever a source-map handler would print instead.
    Error.stackTraceLimit = STACK_DEPTH
    Error.prepareStackTrace = (_error, sites) => sites
    const holder: { stack?: NodeJS.CallSite[] } = {}
    Error.captureStackTrace(holder, callingCoreBuild)
    for (const site of holder.stack ?? []) {
      let file = site.getFileName() ?? ''
      if (file.startsWith('file:')) file = fileURLToPath(file)
      const build = CORE_BUILD.exec(file)?.[1]
      if (build) return build
    }
    return undefined
  } finally {
    Error.prepareStackTrace = prepareStackTrace
    Error.stackTraceLimit = stackTraceLimit
  }
}

function canonical(dir: string): string {
  try {
    return realpathSync.native(dir)
  } catch {
    return path.resolve(dir)
  }
}

const verdicts = new Map<string, string | undefined>()

/** Throws when `caller`, an actions-core build folder, is not the one this package's code imports. */
function assertSameCore(caller: string | undefined): void {
  if (caller === undefined) return
  if (!verdicts.has(caller)) {
    const own = canonical(path.dirname(ownCoreEntry()))
    verdicts.set(caller, canonical(caller) === own ? undefined : twoCopiesMessage(caller, own))
  }
  const message = verdicts.get(caller)
  if (message) throw new Error(message)
}

function twoCopiesMessage(caller: string, own: string): string {
  const esm = /[\\/]esm$/.test(caller)
    ? ' Here the caller is actions-core\'s ES module build: have your bundler resolve "@segment/actions-core" ' +
      'with the "require" condition (its CommonJS build), or leave both packages external.'
    : ''
  return (
    `listrak-actions is being called by a different copy of @segment/actions-core than the one it uses:\n` +
    `  calling: ${caller}\n` +
    `  listrak-actions uses: ${own}\n` +
    `actions-core recognises a destination's batch results by their class, so with two copies every batched ` +
    `event would be reported as a success (200) whether or not it reached Listrak.${esm} Install it so that your ` +
    `project has one copy of @segment/actions-core: from the registry or a tarball (\`npm pack\` in its folder, ` +
    `then \`npm install <the .tgz file>\`), not from a folder that has its own node_modules; then run ` +
    `\`npm dedupe\` and check that \`npm ls @segment/actions-core\` shows a single copy.`
  )
}

/**
 * The definition as this package exports it: the same definition, whose actions refuse to be run by another
 * copy of actions-core.
 *
 * actions-core tells a destination's batch results apart with `instanceof MultiStatusResponse` (and errors with
 * `instanceof` too). With two copies in one process, say the app's and one in a folder installed from a path,
 * that check fails and actions-core answers 200 with an empty body for every event. Nothing in the definition
 * is handed a reference to the calling copy's classes, so the caller is identified by where its code lives:
 *
 * - each action is a getter: `new Destination(definition)` reads `definition.actions[slug]` in its constructor,
 *   so the mismatch is reported at registration, before any event;
 * - `perform` and `performBatch` check again when called: a runtime that builds actions-core's `Action` from the
 *   action definition itself, without `Destination`, is still stopped before the first event is reported.
 *
 * A caller that is not recognisably actions-core (a bundle with one copy inside, a test reading the fields) is
 * let through: only a proven mismatch is refused.
 */
export function guardDefinition<Settings>(
  definition: DestinationDefinition<Settings>
): DestinationDefinition<Settings> {
  const actions: DestinationDefinition<Settings>['actions'] = {}
  for (const [slug, action] of Object.entries(definition.actions)) {
    const guarded = guardAction(action)
    Object.defineProperty(actions, slug, {
      enumerable: true,
      get() {
        assertSameCore(callingCoreBuild())
        return guarded
      }
    })
  }
  return { ...definition, actions }
}

type AnyAction<Settings> = ActionDefinition<Settings, any, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function guardAction<Settings>(action: AnyAction<Settings>): AnyAction<Settings> {
  const { perform, performBatch } = action
  return {
    ...action,
    perform(...args) {
      assertSameCore(callingCoreBuild())
      return perform.apply(this, args)
    },
    ...(performBatch && {
      performBatch(...args) {
        assertSameCore(callingCoreBuild())
        return performBatch.apply(this, args)
      }
    })
  }
}
