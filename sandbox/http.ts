import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { ERROR, ErrorEnvelope, INT32_MAX } from './contract'
import { API_BASE, apiOfPath } from './integrations'
import type { SandboxState } from './state'

/** What every route of Listrak's APIs does with a request: its error envelope, its token, its body and query. */

export const envelope = (status: number, error: string, message: string): ErrorEnvelope => ({ status, error, message })

export function sendError(reply: FastifyReply, error: ErrorEnvelope): FastifyReply {
  return reply.code(error.status).send(error)
}

export const isJson = (request: FastifyRequest) => /^application\/json\b/i.test(request.headers['content-type'] ?? '')

/** An ID in a path: a positive int32, as Listrak's routes take them. */
export function parseId(raw: string): number | undefined {
  if (!/^[0-9]+$/.test(raw)) return undefined
  const id = Number(raw)
  return id >= 1 && id <= INT32_MAX ? id : undefined
}

const DENIED = 'Authorization was denied for this request.'

/**
 * Checks the bearer token against the API the request's path names; answers 401 and returns false when it is not
 * good there. The token itself is never part of the answer.
 */
export function authorized(state: SandboxState, request: FastifyRequest, reply: FastifyReply): boolean {
  const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
  const api = apiOfPath(request.url) ?? 'Email'
  const check = token ? state.useToken(token, api) : { result: 'unknown' as const }
  if (check.result === 'ok') return true
  const message =
    check.result === 'other-integration'
      ? `${DENIED} The token was issued to an integration of type ${check.integration}, whose access does not ` +
        `cover the ${api} API (${API_BASE[api]}): request a token with the client ID and secret of an integration ` +
        `of type ${api}.`
      : DENIED
  sendError(reply, envelope(401, ERROR.UNAUTHORIZED, message))
  return false
}

/** A JSON body parsed with `schema`; answers 415 or 400 and returns undefined when it is not one. */
export function jsonBody<T>(request: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>, what: string) {
  if (!isJson(request)) {
    const message = 'Invalid or missing Content-Type header; must be application/json.'
    sendError(reply, envelope(415, ERROR.UNSUPPORTED_CONTENT_TYPE, message))
    return undefined
  }
  let body: unknown
  try {
    body = JSON.parse(((request.body as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8'))
  } catch {
    sendError(reply, envelope(400, ERROR.MALFORMED_REQUEST_BODY, 'Invalid JSON body was supplied.'))
    return undefined
  }
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const at = issue.path.length ? `.${issue.path.join('.')}` : ''
  sendError(
    reply,
    envelope(400, ERROR.INVALID_PARAMETER, `An invalid value was supplied for ${what}${at}: ${issue.message}.`)
  )
  return undefined
}

/** The query parsed with `schema`; answers 400 and returns undefined when it does not fit. */
export function queryFrom<T>(request: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>) {
  const parsed = schema.safeParse(request.query)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const message = `An invalid value was supplied for ${issue.path.join('.')}: ${issue.message}.`
  sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, message))
  return undefined
}

/** The query of an inspection route parsed with `schema`; answers 400 naming the parameter when it does not fit. */
export function inspectionQuery<T>(request: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>) {
  const parsed = schema.safeParse(request.query)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, `${issue.path.join('.')}: ${issue.message}.`))
  return undefined
}
