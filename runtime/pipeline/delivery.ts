import { transform } from '@segment/actions-core'
import type { Destination, Logger as ActionsCoreLogger, SegmentEvent } from '@segment/actions-core'
import { actionOf } from './actions'
import { nameMissingFields } from './missing-fields'
import type { CompiledSubscription } from './subscriptions'
import type { FetchedToken, TokenCache } from './tokens'

export type OutcomeKind = 'delivered' | 'refused' | 'retryable'

export interface Outcome {
  kind: OutcomeKind
  status: number
  /** What went wrong, for refused and retryable events. */
  reason?: string
  errortype?: string
  /** The list the event's request went to, when it was sent. */
  listId?: number
  /** Listrak's ID of what it accepted: an import, a contact, a message. */
  resourceId?: string
  /**
   * Delivered, and nothing changed, for the reason Listrak gave: an unsubscribe of a contact that is not subscribed
   * (ERROR_UNSUBSCRIBED_EMAIL_ADDRESS, ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS).
   */
  unchanged?: string
  /**
   * Sent in a list import that Listrak took (201) and applies later: its row's address, to follow up once the
   * import's per-contact results are known (see runtime/imports/).
   */
  listImport?: ListImportSent
  /**
   * Listrak refused the token, whatever status the event reports: an action that must not repeat what Listrak
   * accepted in the batch reports such a 401 as a retryable 500 (see src/api/outcomes.ts), and the token is
   * renewed all the same, so that the retry does not fail on it again.
   */
  tokenRefused?: true
}

/** What a delivered event's result says of the list import it went in. */
export interface ListImportSent {
  importFileId: string
  emailAddress: string
  importType?: string
}

/** 401 (after actions-core's own token refresh), 408, 429 and 5xx are worth another try; other 4xx are final. */
export function classify(status: number): OutcomeKind {
  if (status >= 200 && status < 300) return 'delivered'
  if (status === 401 || status === 408 || status === 429 || status >= 500) return 'retryable'
  return 'refused'
}

interface ResultNode {
  status: number
  errortype?: string
  errormessage?: string
  sent?: { listId?: number; emailAddress?: unknown }
  /**
   * Listrak's answer: what it created, or its error envelope (`status` there is Listrak's own); `via` and
   * `importType` say that an event went in a list import.
   */
  body?: { resourceId?: string; unchanged?: string; status?: unknown; via?: unknown; importType?: unknown }
}

/** The list import an event went in, when its result says it did (`via: 'ListImport'`, with the row's address). */
function listImportOf(node: ResultNode): ListImportSent | undefined {
  const { body, sent } = node
  if (body?.via !== 'ListImport' || !body.resourceId || typeof sent?.emailAddress !== 'string') return undefined
  const importType = typeof body.importType === 'string' ? { importType: body.importType } : {}
  return { importFileId: String(body.resourceId), emailAddress: sent.emailAddress, ...importType }
}

const asListId = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined
}

/**
 * The list a subscription's mapping sends an event to: its literal List ID, or the one a directive reads from the
 * event. For outcomes that name no list, such as an event refused before it was sent; undefined when there is none.
 */
export function mappedListId(mapping: Record<string, unknown>, event: SegmentEvent): number | undefined {
  const raw = mapping.listId
  if (raw === null || typeof raw !== 'object') return asListId(raw)
  try {
    return asListId(transform({ listId: raw } as never, event as never).listId)
  } catch {
    return undefined
  }
}

function fromNode(node: ResultNode | undefined): Outcome {
  if (!node) return { kind: 'retryable', status: 500, reason: 'actions-core returned no result for this event' }
  const outcome: Outcome = { kind: classify(node.status), status: node.status }
  if (node.errormessage) outcome.reason = node.errormessage
  if (node.errortype) outcome.errortype = node.errortype
  if (typeof node.sent?.listId === 'number') outcome.listId = node.sent.listId
  if (node.body?.resourceId) outcome.resourceId = node.body.resourceId
  if (node.body?.unchanged) outcome.unchanged = node.body.unchanged
  const listImport = outcome.kind === 'delivered' ? listImportOf(node) : undefined
  if (listImport) outcome.listImport = listImport
  if (node.status === 401 || (node.status >= 400 && Number(node.body?.status) === 401)) outcome.tokenRefused = true
  return outcome
}

function fromError(error: unknown): Outcome {
  const err = error as { status?: number; code?: string; message?: string }
  const status = typeof err?.status === 'number' ? err.status : 500
  const outcome: Outcome = { kind: classify(status), status, reason: err?.message ?? String(error) }
  return err?.code ? { ...outcome, errortype: err.code } : outcome
}

/**
 * Whether a single event's error came after its request was made: an error the action raised from Listrak's answer
 * (or the lack of one) carries a code, while an event refused before sending carries PAYLOAD_VALIDATION_FAILED, or
 * none (actions-core's own schema validation).
 */
const wasSent = (outcome: Outcome) =>
  outcome.errortype !== undefined && outcome.errortype !== 'PAYLOAD_VALIDATION_FAILED'

/** Every per-event error of actions-core passes here: a required field it found missing is named for a person. */
function withFieldsNamed(outcome: Outcome, subscription: CompiledSubscription): Outcome {
  if (!outcome.reason) return outcome
  const { fields } = actionOf(subscription.partnerAction)
  const reason = nameMissingFields(outcome.reason, fields, subscription.mapping)
  return reason === outcome.reason ? outcome : { ...outcome, reason }
}

/**
 * Delivers events for one subscription through actions-core's Destination (`onBatch` or `onEvent`, which
 * match the subscription's FQL, map, validate and call the action), and turns what comes back into one
 * outcome per event.
 */
export class Deliverer {
  constructor(
    private readonly destination: Destination,
    private readonly settings: Record<string, unknown>,
    private readonly tokens: TokenCache,
    private readonly logger?: ActionsCoreLogger
  ) {}

  async deliver(subscription: CompiledSubscription, events: SegmentEvent[]): Promise<Outcome[]> {
    let token: string
    try {
      token = await this.tokens.get()
    } catch (error) {
      return events.map(() => fromError(error))
    }
    const settings = {
      ...this.settings,
      oauth: { access_token: token },
      subscription: {
        subscribe: subscription.subscribe,
        partnerAction: subscription.partnerAction,
        mapping: subscription.mapping
      }
    }
    const options = { onTokenRefresh: (fresh: FetchedToken) => this.tokens.accept(fresh), logger: this.logger }
    try {
      const outcomes = subscription.batching
        ? await this.batch(events, settings, options)
        : [await this.single(subscription, events[0], settings, options)]
      if (outcomes.some((o) => o.status === 401 || o.tokenRefused)) this.tokens.invalidate(token)
      return outcomes.map((outcome) => withFieldsNamed(outcome, subscription))
    } catch (error) {
      return events.map(() => fromError(error))
    } finally {
      // actions-core keeps every response for debugging; a long-running runtime must not.
      this.destination.responses.length = 0
    }
  }

  private async batch(events: SegmentEvent[], settings: object, options: object): Promise<Outcome[]> {
    const [result] = (await this.destination.onBatch(events, settings as never, options)) as {
      multistatus?: ResultNode[]
      output?: string
    }[]
    if (!result?.multistatus) {
      return events.map(() => ({ kind: 'refused', status: 400, reason: result?.output ?? 'no result' }) as Outcome)
    }
    return events.map((_, i) => fromNode(result.multistatus?.[i]))
  }

  /** One event through `perform`; an error after its request was made names the list its mapping sent it to. */
  private async single(
    subscription: CompiledSubscription,
    event: SegmentEvent,
    settings: object,
    options: object
  ): Promise<Outcome> {
    try {
      const results = (await this.destination.onEvent(event, settings as never, options)) as {
        output?: string
        data?: { status?: number; listId?: number; resourceId?: string; unchanged?: string }
      }[]
      const executed = results.find((r) => r.output === 'Action Executed')
      if (!executed) return { kind: 'refused', status: 400, reason: results[0]?.output ?? 'not delivered' }
      const { status = 201, listId, resourceId, unchanged } = executed.data ?? {}
      return { kind: 'delivered', status, listId, resourceId, ...(unchanged ? { unchanged } : {}) }
    } catch (error) {
      const outcome = fromError(error)
      const listId = wasSent(outcome) ? mappedListId(subscription.mapping, event) : undefined
      return listId === undefined ? outcome : { ...outcome, listId }
    }
  }
}
