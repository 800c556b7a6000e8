import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, InputField } from '@segment/actions-core'
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { EVENT_TYPES, parseEvent } from './events'
import { exchangesOf } from './exchanges'
import type { Pipeline } from './pipeline'
import type { RuntimeStats } from './stats'
import { withFieldDefaults } from './subscriptions'

export interface IngestOptions {
  writeKey?: string
  maxBodyBytes: number
  maxEventBytes: number
}

const RETRY_AFTER_SECONDS = 1

function writeKeyOf(request: FastifyRequest): string | undefined {
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
  if (basic) return Buffer.from(basic, 'base64').toString('utf8').split(':')[0]
  const body = request.body as { writeKey?: unknown } | undefined
  return typeof body?.writeKey === 'string' ? body.writeKey : undefined
}

/** Segment's HTTP Tracking API, health and stats, and the routes Segment's actions CLI `serve` offers. */
export function buildServer(
  definition: DestinationDefinition,
  pipeline: Pipeline,
  stats: RuntimeStats,
  logger: Logger,
  options: IngestOptions
): FastifyInstance {
  const app = Fastify({ bodyLimit: options.maxBodyBytes, logger: false })

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

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode ?? 500
    const message = status === 413 ? `The request body is larger than ${options.maxBodyBytes} bytes.` : error.message
    if (status >= 500) logger.error({ path: request.url, err: error.message }, 'request failed')
    return reply.code(status).send({ success: false, message })
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ success: false, message: `No route matches ${request.method} ${request.url}.` })
  )

  const refuseUnauthorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!options.writeKey || writeKeyOf(request) === options.writeKey) return false
    reply
      .code(401)
      .send({ success: false, message: 'Missing or wrong write key (send it as the HTTP Basic user name).' })
    return true
  }

  const refuseWhenFull = (reply: FastifyReply, events: number): boolean => {
    if (pipeline.hasCapacity(events)) return false
    reply
      .code(503)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send({ success: false, message: `The delivery queue is full (${pipeline.depth} events); retry shortly.` })
    return true
  }

  for (const type of EVENT_TYPES) {
    app.post(`/v1/${type}`, async (request, reply) => {
      if (refuseUnauthorized(request, reply) || refuseWhenFull(reply, 1)) return reply
      const parsed = parseEvent(request.body, options.maxEventBytes, type)
      if (!parsed.ok) return reply.code(400).send({ success: false, message: parsed.reason })
      pipeline.accept(parsed.event)
      return { success: true }
    })
  }

  app.post('/v1/batch', async (request, reply) => {
    if (refuseUnauthorized(request, reply)) return reply
    const batch = (request.body as { batch?: unknown } | undefined)?.batch
    if (!Array.isArray(batch)) {
      return reply.code(400).send({ success: false, message: 'The body must be { "batch": [ ...events ] }.' })
    }
    const parsed = batch.map((event) => parseEvent(event, options.maxEventBytes))
    const valid = parsed.flatMap((p) => (p.ok ? [p.event] : []))
    if (refuseWhenFull(reply, valid.length)) return reply
    const refused = parsed.flatMap((p, index) => (p.ok ? [] : [{ index, reason: p.reason }]))
    stats.invalid += refused.length
    for (const event of valid) pipeline.accept(event)
    if (valid.length === 0 && refused.length > 0) return reply.code(400).send({ success: false, refused })
    return { success: true, accepted: valid.length, ...(refused.length ? { refused } : {}) }
  })

  app.get('/health', async () => ({ status: 'ok', queueDepth: pipeline.depth }))
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

  app.post('/authenticate', async (request) => {
    try {
      await fresh().testAuthentication((request.body ?? {}) as never)
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
        // An object field answers its keys, or the values of the key in dynamicFieldContext.selectedKey.
        const handler =
          typeof action.dynamicFields?.[field as never] === 'function'
            ? field
            : `${field}.${body.dynamicFieldContext?.selectedKey ? '__values__' : '__keys__'}`
        return destination.actions[slug].executeDynamicField(handler, {
          settings,
          payload: body.payload ?? {},
          auth,
          dynamicFieldContext: body.dynamicFieldContext
        } as never)
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
