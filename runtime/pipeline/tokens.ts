import { createRequestClient, RetryableError } from '@segment/actions-core'
import type { RequestClient } from '@segment/actions-core'
import { ListrakRequest, withUrls } from '../../src/api/client'
import { limitRequests } from '../../src/api/limit'
import { requestAccessToken } from '../../src/api/token'
import { environmentUrls } from '../destination'

export interface FetchedToken {
  accessToken: string
  expiresIn?: number
}

/** Used when Listrak does not say how long a token lasts. */
const DEFAULT_LIFETIME_MS = 60 * 60 * 1000

/**
 * One access token for the whole runtime: fetched once, shared by every delivery, renewed shortly before it
 * expires or when Listrak refuses it. Concurrent callers share one token request.
 */
export class TokenCache {
  private token?: string
  private renewAt = 0
  private pending?: Promise<string>
  /** Token requests made so far. */
  fetched = 0

  constructor(
    private readonly fetchToken: () => Promise<FetchedToken>,
    private readonly now: () => number = Date.now
  ) {}

  async get(): Promise<string> {
    if (this.token && this.now() < this.renewAt) return this.token
    this.pending ??= this.fetchToken()
      .then((fetched) => {
        this.fetched++
        this.accept(fetched)
        return fetched.accessToken
      })
      .finally(() => {
        this.pending = undefined
      })
    return this.pending
  }

  /** Takes a token that actions-core fetched itself after a 401. */
  accept({ accessToken, expiresIn }: FetchedToken): void {
    const lifetimeMs = expiresIn ? expiresIn * 1000 : DEFAULT_LIFETIME_MS
    this.token = accessToken
    // Renew a little early, so no request carries a token that expires on the way.
    this.renewAt = this.now() + lifetimeMs - Math.min(60_000, lifetimeMs * 0.1)
  }

  /** Forgets a token Listrak refused, unless a newer one has replaced it already. */
  invalidate(token: string): void {
    if (this.token === token) this.token = undefined
  }
}

/**
 * Listrak gave no answer at all: the connection failed or timed out. Retryable for a delivery; at start it means
 * nothing could be checked. The message names the URL and the network error's code, which say where to look.
 */
export class ListrakUnreachableError extends RetryableError {
  constructor(
    readonly url: string,
    readonly reason: string,
    status: 408 | 500
  ) {
    super(`Could not reach Listrak at ${url} (${reason}).`, status)
  }
}

/** The status of the destination's error for a request that got no answer: 408 for a timeout, else 500. */
const statusOf = (error: unknown) => ((error as { status?: number }).status === 408 ? 408 : 500)

/**
 * A request client that remembers the first request that got no HTTP answer. The destination's Listrak layer turns
 * such failures into messages of its own; this keeps the URL and the error code for `unreachable`.
 */
export function watchConnections(client: RequestClient = createRequestClient()) {
  let failure: { url: string; reason: string } | undefined
  const request = (async (url: string, options?: Parameters<RequestClient>[1]) => {
    try {
      return await client(url, options)
    } catch (error) {
      const err = error as { code?: string; name?: string; response?: unknown }
      // An HTTP error carries the response: Listrak answered.
      if (err.response === undefined) failure ??= { url, reason: err.code ?? err.name ?? 'no answer' }
      throw error
    }
  }) as RequestClient
  /** The failed connection behind `error`, if there was one; `error` itself otherwise. */
  const unreachable = (error: unknown): unknown =>
    failure ? new ListrakUnreachableError(failure.url, failure.reason, statusOf(error)) : error
  return { request, unreachable }
}

/** A token from Listrak's token endpoint for these credentials; ListrakUnreachableError when Listrak gives no answer. */
export async function fetchListrakToken(settings: {
  client_id?: string
  client_secret?: string
}): Promise<FetchedToken> {
  const { request, unreachable } = watchConnections()
  try {
    return await requestAccessToken(withUrls(request, environmentUrls), {
      client_id: settings.client_id ?? '',
      client_secret: settings.client_secret ?? ''
    })
  } catch (error) {
    throw unreachable(error)
  }
}

/** Requests in flight at once on a client of `withToken`: the runtime's own reads never crowd its deliveries out. */
const MAX_READS_IN_FLIGHT = 4

/**
 * A request client for Listrak's API with this token, a few requests at a time: for the runtime's own reads after
 * the fact (a message's activity, a list import's results), which the destination's API layer does not make.
 */
export const withToken = (accessToken: string): ListrakRequest =>
  limitRequests(
    withUrls(
      watchConnections(createRequestClient({ headers: { authorization: `Bearer ${accessToken}` } })).request,
      environmentUrls
    ),
    MAX_READS_IN_FLIGHT
  )
