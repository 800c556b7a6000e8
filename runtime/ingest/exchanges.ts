import type { DecoratedResponse } from '@segment/actions-core'

export interface Exchange {
  request: { url: string; method: string; headers: Record<string, string>; body: string }
  response: { statusCode: number; statusMessage?: string; body: unknown }
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])

/**
 * The HTTP exchanges a call made, as Segment's actions CLI reports them, with credentials removed: the
 * Authorization header, and the whole body of a token request (it carries the client secret).
 */
export async function exchangesOf(responses: DecoratedResponse[]): Promise<Exchange[]> {
  return Promise.all(
    responses.map(async (response) => {
      const request = response.request.clone()
      const headers: Record<string, string> = {}
      request.headers.forEach((value, key) => (headers[key] = SECRET_HEADERS.has(key) ? '<redacted>' : value))
      const text = await request.text()
      const tokenRequest = /grant_type=|client_secret/.test(text)
      const body = response.data as { access_token?: unknown } | undefined
      return {
        request: { url: request.url, method: request.method, headers, body: tokenRequest ? '<redacted>' : text },
        response: {
          statusCode: response.status,
          statusMessage: response.statusText,
          body:
            body && typeof body === 'object' && 'access_token' in body ? { ...body, access_token: '<redacted>' } : body
        }
      }
    })
  )
}
