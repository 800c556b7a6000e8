import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, InputField, SegmentEvent } from '@segment/actions-core'
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { decodeBody } from './body-encoding'
import { ConfigError, RuntimeConfig } from '../config'
import { EVENT_TYPES, parseEvent } from './events'
import { exchangesOf } from './exchanges'
import type { Pipeline } from '../pipeline/pipeline'
import type { RuntimeStats } from '../stats'
import { withFieldDefaults } from '../pipeline/subscriptions'
import { basicUserName, exposureProblem, writeKeyMatcher } from './write-key'

export type IngestOptions = RuntimeConfig['ingest']

const RETRY_AFTER_SECONDS = 1
/** How often Node looks for requests past their timeout, at most: the timeout is enforced this late at worst. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000

const SINGLE_EVENT_ROUTES = new Set(EVENT_TYPES.map((type) => `/v1/${type}`))
const BATCH_ROUTES = ['/v1/batch', '/v1/import']
/**
 * Segment's Tracking API routes, where browser libraries (analytics.js) send the write key as `writeKey` in the
 * body because they cannot set an Authorization header without a CORS preflight. Only there, and only when no
 * Authorization header came, is the body read before the key is known; every other route needs the header.
 */
const BODY_KEY_ROUTES = new Set([...SINGLE_EVENT_ROUTES, ...BATCH_ROUTES])
/** Liveness: the process is up and serving HTTP, whatever its queue can do. */
const LIVE_ROUTE = '/health'
/** Readiness: the runtime takes events now; 503 with the reason while it cannot (Redis down, store failing, full). */
const READY_ROUTE = '/health/ready'
/** The routes anyone may call when a write key is set: load balancers, orchestrators and monitors probe them. */
const OPEN_ROUTES = new Set([LIVE_ROUTE, READY_ROUTE])
/** Statuses that refuse an event for what was sent (its encoding, size or shape): counted as invalid. */
const INVALID_STATUSES = new Set([400, 413, 415])

/** Segment's HTTP Tracking API, health and stats, and the routes Segment's actions CLI `serve` offers. */
export function buildServer(
  definition: DestinationDefinition,
  pipeline: Pipeline,
  stats: RuntimeStats,
  logger: Logger,
  options: IngestOptions
): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.maxBodyBytes,
    logger: false,
    // A client gets requestTimeoutMs to send its whole request, headers and body, so connections that trickle
    // bytes (slow loris) end; an idle keep-alive connection ends after keepAliveTimeoutMs. Neither limits how
    // long an answer may take: the developer routes wait for Listrak.
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    http: {
      headersTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node looks for expired requests every 30 s by default, which would let a 10 s timeout run to 40 s.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(options.requestTimeoutMs / 4))
      )
    }
  })

  // listen() runs this first: a runtime without a write key stays off the network however it is started
  // (`serve` checks earlier too, before the sandbox and the config check start).
  app.addHook('onReady', async () => {
    const problem = exposureProblem(options)
    if (problem) throw new ConfigError(problem)
  })

  const keyMatches = options.writeKey ? writeKeyMatcher(options.writeKey) : undefined
  const authenticated = new WeakSet<FastifyRequest>()
  const isAuthenticated = (request: FastifyRequest) => !keyMatches || authenticated.has(request)
  const refuseKey = (reply: FastifyReply, message: string) => reply.code(401).send({ success: false, message })

  // The write key is checked from the headers before the body is read, so a request without it costs nothing.
  app.addHook('onRequest', async (request, reply) => {
    if (!keyMatches || OPEN_ROUTES.has(request.routeOptions.url ?? '')) return
    const authorization = request.headers.authorization
    if (authorization !== undefined) {
      if (keyMatches(basicUserName(authorization))) {
        authenticated.add(request)
        return
      }
      return refuseKey(
        reply,
        'The Authorization header does not carry the write key: send the key as the HTTP Basic user name with an empty password (curl -u <writeKey>: …).'
      )
    }
    if (BODY_KEY_ROUTES.has(request.routeOptions.url ?? '')) return
    return refuseKey(reply, 'This route needs the write key as the HTTP Basic user name (curl -u <writeKey>: …).')
  })
  // Only Tracking API requests without an Authorization header get here unauthenticated; their key is in the body.
  app.addHook('preHandler', async (request, reply) => {
    if (isAuthenticated(request) || OPEN_ROUTES.has(request.routeOptions.url ?? '')) return
    if (keyMatches?.((request.body as { writeKey?: unknown } | undefined)?.writeKey)) {
      authenticated.add(request)
      return
    }
    return refuseKey(
      reply,
      'Missing or wrong write key: send it as the HTTP Basic user name (or, from a browser library, as writeKey in the body).'
    )
  })

  app.addHook('preParsing', async (request, _reply, payload) =>
    request.method === 'POST' ? decodeBody(payload, request.headers['content-encoding'], options.maxBodyBytes) : payload
  )

  // Segment's API takes JSON whatever the content type says (curl sends form-encoded by default).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined)
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      done(Object.assign(new Error(`Invalid JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined)
    }
  })

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode ?? 500
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `The request body is larger than ${options.maxBodyBytes} bytes.`
        : error.message
    if (status >= 500) logger.error({ path: request.url, err: error.message }, 'request failed')
    // A request that could not show the write key changes nothing, not even the counters.
    if (
      INVALID_STATUSES.has(status) &&
      SINGLE_EVENT_ROUTES.has(request.routeOptions.url ?? '') &&
      isAuthenticated(request)
    ) {
      stats.invalid++
    }
    return reply.code(status).send({ success: false, message })
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ success: false, message: `No route matches ${request.method} ${request.url}.` })
  )

  const retryLater = (reply: FastifyReply, message: string, extra: Record<string, unknown> = {}) =>
    reply
      .code(503)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send({ success: false, message, ...extra })

  const refuseWhenFull = (reply: FastifyReply, events: number): boolean => {
    if (pipeline.hasCapacity(events)) return false
    retryLater(reply, `The delivery queue is full (${pipeline.depth} events); retry shortly.`)
    return true
  }

  /**
   * Hands events to the pipeline together, in order, so that a durable queue stores them in one commit, and waits
   * until each is taken. A rejection means the pipeline takes no more (full, shutting down, or its store failed):
   * the client hears so and retries; how many were taken is said.
   */
  const acceptAll = async (events: SegmentEvent[]): Promise<{ accepted: number; error?: string }> => {
    const results = await Promise.allSettled(events.map(async (event) => pipeline.accept(event)))
    const accepted = results.filter((result) => result.status === 'fulfilled').length
    const failed = results.find((result) => result.status === 'rejected')
    if (!failed) return { accepted }
    const error = (failed.reason as Error).message
    logger.warn({ err: error, accepted, of: events.length }, 'events not accepted; the client is told to retry')
    return { accepted, error }
  }

  for (const route of SINGLE_EVENT_ROUTES) {
    const type = route.slice('/v1/'.length) as (typeof EVENT_TYPES)[number]
    app.post(route, async (request, reply) => {
      if (refuseWhenFull(reply, 1)) return reply
      const parsed = parseEvent(request.body, options.maxEventBytes, type)
      if (!parsed.ok) {
        stats.invalid++
        return reply.code(400).send({ success: false, message: parsed.reason })
      }
      const { error } = await acceptAll([parsed.event])
      if (error) return retryLater(reply, `The event was not accepted: ${error} Retry shortly.`)
      return { success: true }
    })
  }

  // Segment's /v1/import (analytics-java) is /v1/batch under another name.
  for (const route of BATCH_ROUTES) {
    app.post(route, async (request, reply) => {
      const batch = (request.body as { batch?: unknown } | undefined)?.batch
      if (!Array.isArray(batch)) {
        return reply.code(400).send({ success: false, message: 'The body must be { "batch": [ ...events ] }.' })
      }
      const parsed = batch.map((event) => parseEvent(event, options.maxEventBytes))
      const valid = parsed.flatMap((p) => (p.ok ? [p.event] : []))
      if (refuseWhenFull(reply, valid.length)) return reply
      const refused = parsed.flatMap((p, index) => (p.ok ? [] : [{ index, reason: p.reason }]))
      stats.invalid += refused.length
      const { accepted, error } = await acceptAll(valid)
      if (error) {
        const taken = `${accepted} of its ${valid.length} events were taken`
        return retryLater(reply, `The batch was not accepted whole: ${error} ${taken}; retry it shortly.`, { accepted })
      }
      if (valid.length === 0 && refused.length > 0) return reply.code(400).send({ success: false, refused })
      return { success: true, accepted, ...(refused.length ? { refused } : {}) }
    })
  }

  app.get(LIVE_ROUTE, async () => ({ status: 'ok', queueDepth: pipeline.depth }))
  app.get(READY_ROUTE, async (_request, reply) => {
    const reason = pipeline.notReady()
    if (reason) return reply.code(503).send({ status: 'not ready', reason, queueDepth: pipeline.depth })
    return { status: 'ready', queueDepth: pipeline.depth }
  })
  app.get('/stats', async () => stats.toJSON(pipeline.depth))

  registerDeveloperRoutes(app, definition)
  return app
}

/**
 * The routes of Segment's actions CLI `serve`, so Segment's Actions Tester can drive the destination here.
 * Each call uses a Destination of its own, so its request/response exchanges are its own.
 */
function registerDeveloperRoutes(app: FastifyInstance, definition: DestinationDefinition): void {
  type Body = {
    payload?: unknown
    settings?: Record<string, unknown>
    mapping?: Record<string, unknown>
    auth?: Record<string, unknown>
  }
  const fresh = () => new Destination(definition)

  app.get('/manifest', async () => JSON.parse(JSON.stringify(definition)))

  // Settings alone, or { settings } as the dynamic-field routes and /refreshAccessToken take them.
  app.post('/authenticate', async (request) => {
    const body = (request.body ?? {}) as Body & Record<string, unknown>
    const settings = body.settings !== null && typeof body.settings === 'object' ? body.settings : body
    try {
      await fresh().testAuthentication(settings as never)
      return { ok: true }
    } catch (error) {
      return { ok: false, error: (error as Error).message, fields: {} }
    }
  })

  app.post('/refreshAccessToken', async (request, reply) => {
    const body = (request.body ?? {}) as Body & Record<string, unknown>
    const settings = (body.settings ?? body) as Record<string, unknown>
    try {
      const data = await fresh().refreshAccessToken(settings as never, {} as never)
      return { ok: true, data }
    } catch (error) {
      return reply.code(400).send({ ok: false, error: (error as Error).message })
    }
  })

  for (const [slug, action] of Object.entries(definition.actions)) {
    for (const field of Object.keys(action.dynamicFields ?? {})) {
      app.post(`/${slug}/${field}`, async (request) => {
        const body = (request.body ?? {}) as Body & { dynamicFieldContext?: { selectedKey?: string } }
        const destination = fresh()
        const settings = body.settings ?? {}
        let auth = body.auth as { accessToken: string; refreshToken: string } | undefined
        // The Actions Tester may send settings alone; a token is fetched for the call then.
        if (!auth?.accessToken) {
          try {
            const { accessToken } = (await destination.refreshAccessToken(settings as never, {} as never)) ?? {}
            auth = { accessToken: accessToken ?? '', refreshToken: '' }
          } catch (error) {
            return { choices: [], error: { code: '401', message: (error as Error).message } }
          }
        }
        // An object field answers its keys, or the values of the key in dynamicFieldContext.selectedKey. The
        // handler is handed over as it is: given by path, actions-core would put a context of its own in place of
        // the one sent, and the selected key would be lost.
        const handlers = action.dynamicFields?.[field as never] as unknown
        const handler =
          typeof handlers === 'function'
            ? handlers
            : (handlers as Record<string, unknown>)[body.dynamicFieldContext?.selectedKey ? '__values__' : '__keys__']
        return destination.actions[slug].executeDynamicField(
          field,
          { settings, payload: body.payload ?? {}, auth, dynamicFieldContext: body.dynamicFieldContext } as never,
          handler as never
        )
      })
    }

    app.post(`/${slug}`, async (request) => {
      const body = (request.body ?? {}) as Body
      const destination = fresh()
      const bundle = {
        data: body.payload ?? {},
        settings: body.settings ?? {},
        mapping: withFieldDefaults(action.fields as Record<string, InputField>, body.mapping),
        auth: body.auth ?? {}
      }
      const runtimeAction = destination.actions[slug]
      try {
        const multistatus = Array.isArray(bundle.data)
          ? await runtimeAction.executeBatch(bundle as never)
          : (await runtimeAction.execute(bundle as never), undefined)
        return { exchanges: await exchangesOf(destination.responses), ...(multistatus ? { multistatus } : {}) }
      } catch (error) {
        const err = error as { status?: number; message: string }
        return {
          exchanges: await exchangesOf(destination.responses),
          error: { statusCode: err.status ?? 500, message: err.message }
        }
      }
    })
  }
}
