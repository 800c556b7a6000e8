import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setTimeout as sleep } from 'timers/promises'
import {
  ERROR,
  ErrorEnvelope,
  INT32_MAX,
  SANDBOX_ERROR,
  segmentationFieldBody,
  segmentationFieldGroupBody,
  tokenRequest
} from './contract'
import { parseFaults } from './faults'
import type { Created, ListState, SandboxState } from './state'
import type { z } from 'zod'
import { validateImport } from './validate-import'

export interface ServerLimits {
  /** Bodies above this many bytes get 413 without being read whole. */
  bodyLimitBytes: number
  /** Imports above these sizes get 404, as Listrak answers oversized payloads. */
  importMaxContacts: number
  importMaxBytes: number
}

const API = '/email/v1'
const LISTRAK_PATH = /^\/(OAuth2\/Token|email\/v1\/)/

const envelope = (status: number, error: string, message: string): ErrorEnvelope => ({ status, error, message })

function sendError(reply: FastifyReply, error: ErrorEnvelope): FastifyReply {
  return reply.code(error.status).send(error)
}

const isJson = (request: FastifyRequest) => /^application\/json\b/i.test(request.headers['content-type'] ?? '')

function parseId(raw: string): number | undefined {
  if (!/^[0-9]+$/.test(raw)) return undefined
  const id = Number(raw)
  return id >= 1 && id <= INT32_MAX ? id : undefined
}

/** Builds the sandbox's HTTP server: Listrak's routes, the inspection routes and fault injection. */
export function buildServer(state: SandboxState, limits: ServerLimits): FastifyInstance {
  const app = Fastify({ bodyLimit: limits.bodyLimitBytes, logger: false })

  // Every body arrives raw, so each route decides, as Listrak does, what a wrong content type or bad JSON means.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  // When each request started, and whether it is one of Listrak's (those count in the stats and get faults).
  const started = new WeakMap<FastifyRequest, { at: number; listrak: boolean }>()

  app.addHook('onRequest', async (request, reply) => {
    const listrak = LISTRAK_PATH.test(request.url)
    started.set(request, { at: performance.now(), listrak })
    if (!listrak) return
    const { stats } = state
    stats.requests++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    const { delayMs, action } = state.faults.decide()
    if (delayMs > 0) await sleep(delayMs)
    if (action === 'drop') {
      record(request, 'dropped')
      reply.hijack()
      request.raw.socket.destroy()
      return
    }
    if (action !== 'pass') {
      const message = `Sandbox fault injection answered ${action.status}.`
      return sendError(reply, envelope(action.status, SANDBOX_ERROR.INJECTED_FAULT, message))
    }
  })

  const record = (request: FastifyRequest, status: number | 'dropped') => {
    const start = started.get(request) ?? { at: performance.now(), listrak: false }
    // A reset while requests are in flight zeroes the gauge; never let it go below zero.
    if (start.listrak) state.stats.inFlight = Math.max(0, state.stats.inFlight - 1)
    state.requests.push({
      at: new Date().toISOString(),
      method: request.method,
      path: request.url,
      status,
      durationMs: Math.round((performance.now() - start.at) * 10) / 10
    })
  }
  app.addHook('onResponse', async (request, reply) => record(request, reply.statusCode))

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    if (error.statusCode === 413) {
      const message = `The request body is larger than the sandbox accepts (${limits.bodyLimitBytes} bytes).`
      return sendError(reply, envelope(413, SANDBOX_ERROR.REQUEST_TOO_LARGE, message))
    }
    if (error.statusCode && error.statusCode < 500) {
      return sendError(reply, envelope(error.statusCode, ERROR.INVALID_PARAMETER, error.message))
    }
    return sendError(reply, envelope(500, ERROR.UNHANDLED_EXCEPTION, error.message))
  })

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, envelope(404, ERROR.UNKNOWN_ROUTE, `No route matches ${request.method} ${request.url}.`))
  )

  /** Checks the bearer token; answers 401 and returns false when it is not good. */
  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
    if (token && state.useToken(token) === 'ok') return true
    sendError(reply, envelope(401, ERROR.UNAUTHORIZED, 'Authorization was denied for this request.'))
    return false
  }

  /** The list named in the path; answers 400 or 404 and returns undefined when there is none. */
  const listFrom = (request: FastifyRequest<{ Params: { listId: string } }>, reply: FastifyReply) => {
    const listId = parseId(request.params.listId)
    if (listId === undefined) {
      sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, 'An invalid value was supplied for listId.'))
      return undefined
    }
    const list = state.lists.get(listId)
    if (!list) {
      const message = 'Unable to locate a resource associated with the listId supplied.'
      sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    }
    return list
  }

  /** The list's profile field group named in the path; answers 404 and returns undefined when there is none. */
  const groupFrom = (
    request: FastifyRequest<{ Params: { groupId: string } }>,
    reply: FastifyReply,
    list: ListState
  ): number | undefined => {
    const groupId = parseId(request.params.groupId)
    if (groupId !== undefined && list.groups.some((g) => g.segmentationFieldGroupId === groupId)) return groupId
    const message = 'Unable to locate a resource associated with the listId and segmentationFieldGroupId supplied.'
    sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    return undefined
  }

  app.post('/OAuth2/Token', async (request, reply) => {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      const message = 'The token request must be application/x-www-form-urlencoded.'
      return sendError(reply, envelope(415, ERROR.UNSUPPORTED_CONTENT_TYPE, message))
    }
    const form = Object.fromEntries(new URLSearchParams((request.body as Buffer | undefined)?.toString() ?? ''))
    if (form.grant_type !== 'client_credentials') {
      const message = 'An invalid value was supplied for grant_type; use client_credentials.'
      return sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, message))
    }
    const parsed = tokenRequest.safeParse(form)
    if (!parsed.success || !state.checkCredentials(parsed.data.client_id, parsed.data.client_secret)) {
      const message = 'Invalid client credentials, inactive integration, or unauthorized IP address.'
      return sendError(reply, envelope(401, ERROR.INVALID_CREDENTIALS, message))
    }
    return state.issueToken()
  })

  app.get(`${API}/List`, async (request, reply) => {
    if (!authorized(request, reply)) return reply
    const data = [...state.lists.values()].map(({ summary }) => ({
      ...summary,
      folderId: 0,
      ipPoolId: 0,
      bounceDomainAlias: '',
      bounceHandling: 'Standard',
      bounceUnsubscribeCount: 3,
      enableBrowserLink: false,
      enableDoubleOptIn: false,
      enableDynamicContent: false,
      enableGoogleAnalytics: false,
      enableInternationalization: false,
      enableListHygiene: false,
      enableListRemovalHeader: true,
      enableListRemovalLink: true,
      enableListrakAnalytics: true,
      enableSpamScorePersonalization: false,
      enableToNamePersonalization: false,
      enableUniversalEmailKeySetting: false,
      fromEmail: 'news@example.com',
      fromName: summary.listName,
      googleTrackingDomains: [],
      linkDomainAlias: '',
      mediaDomainAlias: ''
    }))
    return { status: 200, data }
  })

  app.get<{ Params: { listId: string } }>(`${API}/List/:listId/SegmentationFieldGroup`, async (request, reply) => {
    if (!authorized(request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    return { status: 200, data: list.groups }
  })

  app.get<{ Params: { listId: string; groupId: string } }>(
    `${API}/List/:listId/SegmentationFieldGroup/:groupId/SegmentationField`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const groupId = groupFrom(request, reply, list)
      if (groupId === undefined) return reply
      const data = [...list.fields.values()].filter((f) => f.segmentationFieldGroupId === groupId)
      return { status: 200, data }
    }
  )

  /** A JSON body parsed with `schema`; answers 415 or 400 and returns undefined when it is not one. */
  const jsonBody = <T>(request: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>, what: string) => {
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

  const created = (reply: FastifyReply, result: Created) =>
    result.ok ? reply.code(201).send({ status: 201, resourceId: String(result.id) }) : sendError(reply, result.error)

  app.post<{ Params: { listId: string } }>(`${API}/List/:listId/SegmentationFieldGroup`, async (request, reply) => {
    if (!authorized(request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    const body = jsonBody(request, reply, segmentationFieldGroupBody, 'segmentationFieldGroupResource')
    if (!body) return reply
    return created(reply, state.createGroup(list, body.segmentationFieldGroupName, body.position))
  })

  app.post<{ Params: { listId: string; groupId: string } }>(
    `${API}/List/:listId/SegmentationFieldGroup/:groupId/SegmentationField`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const groupId = groupFrom(request, reply, list)
      if (groupId === undefined) return reply
      const body = jsonBody(request, reply, segmentationFieldBody, 'segmentationFieldResource')
      if (!body) return reply
      return created(reply, state.createField(list, groupId, body))
    }
  )

  app.post<{ Params: { listId: string } }>(`${API}/List/:listId/Contact/SegmentationField`, async (request, reply) => {
    if (!authorized(request, reply)) return reply
    if (!isJson(request)) {
      const message = 'Invalid or missing Content-Type header; must be application/json.'
      return sendError(reply, envelope(415, ERROR.UNSUPPORTED_CONTENT_TYPE, message))
    }
    const list = listFrom(request, reply)
    if (!list) return reply
    const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0)
    const oversized = () => {
      const message =
        'Unable to locate a resource associated with the listId supplied. ' +
        `(The sandbox answers 404, as Listrak does, to imports over ${limits.importMaxContacts} contacts or ${limits.importMaxBytes} bytes.)`
      return sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    }
    if (raw.length > limits.importMaxBytes) return oversized()
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return sendError(reply, envelope(400, ERROR.MALFORMED_REQUEST_BODY, 'Invalid JSON body was supplied.'))
    }
    if (Array.isArray(body) && body.length > limits.importMaxContacts) return oversized()
    const result = validateImport(list.summary.listId, list.fields, body)
    if (!result.ok) return sendError(reply, result.error)
    const { resourceId } = state.applyImport(list.summary.listId, result.contacts, raw.length)
    return reply.code(201).send({ status: 201, resourceId })
  })

  // Inspection and control, outside Listrak's paths.
  app.get('/_sandbox/imports', async () => state.imports.toJSON())
  app.get('/_sandbox/requests', async () => state.requests.toJSON())
  app.get('/_sandbox/stats', async () => state.stats)
  app.get<{ Params: { listId: string } }>('/_sandbox/lists/:listId/contacts', async (request, reply) => {
    const listId = parseId(request.params.listId)
    if (listId === undefined || !state.lists.has(listId)) {
      return sendError(
        reply,
        envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, `The sandbox has no list ${request.params.listId}.`)
      )
    }
    return { listId, contacts: state.contactsOf(listId) }
  })
  app.post('/_sandbox/reset', async () => {
    state.reset()
    return { status: 200, message: 'The sandbox is back to its fixture: no contacts, tokens or history.' }
  })
  app.get('/_sandbox/faults', async () => state.faults.current)
  app.post('/_sandbox/faults', async (request, reply) => {
    let update
    try {
      update = parseFaults(JSON.parse((request.body as Buffer | undefined)?.toString() || '{}'))
    } catch (error) {
      return sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, (error as Error).message))
    }
    return state.faults.set(update)
  })
  app.delete('/_sandbox/faults', async () => state.faults.clear())

  return app
}
