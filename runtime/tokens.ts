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
