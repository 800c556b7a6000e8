import { IntegrationError, InvalidAuthenticationError, RetryableError } from '@segment/actions-core'
import type { ListrakRequest } from './client'
import { z } from 'zod'
import { failureToError, httpFailure, listrakSaid, parseJson, transportFailure } from './errors'

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().optional()
})

export interface ClientCredentials {
  client_id: string
  client_secret: string
}

export interface AccessToken {
  accessToken: string
  /** Seconds until Listrak stops accepting the token, when it says. */
  expiresIn?: number
}

const SUBJECT = 'the token request'

/** Asks Listrak for a bearer token with the client-credentials grant. */
export async function requestAccessToken(
  request: ListrakRequest,
  credentials: ClientCredentials
): Promise<AccessToken> {
  const redact = (text: string) => redactSecret(text, credentials.client_secret)
  let response
  try {
    response = await request(request.urls.auth, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.client_id,
        client_secret: credentials.client_secret
      }),
      // extendRequest adds the current bearer token to every request; the token endpoint takes none,
      // and a header value of 'undefined' is actions-core's way to remove a header.
      headers: { authorization: 'undefined', 'content-type': 'application/x-www-form-urlencoded' },
      throwHttpErrors: false,
      skipResponseCloning: true
    })
  } catch (error) {
    const failure = transportFailure(error, SUBJECT)
    throw new RetryableError(redact(failure.message), failure.status as 408 | 500)
  }
  const content = (response as { content?: string }).content ?? ''
  if (!response.ok) {
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new InvalidAuthenticationError(
        `Listrak refused the API client credentials (${listrakSaid(response.status, redact(content)).said}). ` +
          'Check the API Client ID and API Client Secret, and that the integration is active in Listrak.'
      )
    }
    throw failureToError(httpFailure(response.status, redact(content), SUBJECT))
  }
  const parsed = tokenResponse.safeParse(parseJson(content))
  if (!parsed.success) {
    throw new IntegrationError(
      `Listrak's token endpoint answered HTTP ${response.status} without an access token.`,
      'OAUTH_REFRESH_FAILED',
      502
    )
  }
  return { accessToken: parsed.data.access_token, expiresIn: parsed.data.expires_in }
}

function redactSecret(text: string, secret: string): string {
  return secret ? text.split(secret).join('[redacted]') : text
}
