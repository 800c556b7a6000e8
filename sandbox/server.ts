import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setTimeout as sleep } from 'timers/promises'
import {
  contactBody,
  contactQuery,
  contactReadQuery,
  ERROR,
  importFileBody,
  ListImport,
  ListImportContact,
  listImportCollectionQuery,
  ListImportStatus,
  MAX_SEGMENTATION_FIELD_IDS,
  pageQuery,
  SANDBOX_ERROR,
  segmentationFieldBody,
  segmentationFieldGroupBody,
  tokenRequest,
  transactionalMessageActivityQuery,
  transactionalMessageContact
} from './contract'
import { contactResource } from './contacts'
import { parseFaults } from './faults'
import { authorized, envelope, inspectionQuery, isJson, jsonBody, parseId, queryFrom, sendError } from './http'
import { apiOfPath } from './integrations'
import { pageOf } from './paging'
import { registerSmsRoutes } from './sms-routes'
import { readImportFile } from './import-file'
import { importSummary } from './list-import'
import type { Created, ListImportRecord, ListState, RequestRecord, SandboxState } from './state'
import { z } from 'zod'
import { checkFieldValues, isEmailAddress, validateImport } from './validate-import'

export interface ServerLimits {
  /** Bodies above this many bytes get 413 without being read whole. */
  bodyLimitBytes: number
  /** Imports above these sizes get 404, as Listrak answers oversized payloads. */
  importMaxContacts: number
  importMaxBytes: number
  /** List imports (`ImportFile`) above this many bytes get 404, as Listrak answers bodies over its limit. */
  listImportMaxBytes: number
}

const API = '/email/v1'
const IMPORT_ROUTE = `${API}/List/:listId/Contact/SegmentationField`
const CONTACT_ROUTE = `${API}/List/:listId/Contact`
const MESSAGE_ROUTE = `${API}/List/:listId/TransactionalMessage/:transactionalMessageId`
const LIST_IMPORT_ROUTE = `${API}/List/:listId/ListImport`
const LIST_IMPORT_FILE_ROUTE = `${LIST_IMPORT_ROUTE}/:importFileId`
/** Listrak's paths, which count in the stats and get faults: the token endpoint and every API's routes. */
const isListrakPath = (url: string) => url.startsWith('/OAuth2/Token') || apiOfPath(url) !== undefined

/** The longest `?wait=` the contacts route takes: long enough for a flush and a retry, short of a client's timeout. */
const MAX_CONTACTS_WAIT_MS = 10_000

/**
 * `?wait=` on the contacts route: milliseconds, as `1500`, `1500ms` or `1.5s`. `?detail=full`: each contact with its
 * subscription, external ID and raised events besides its values.
 */
const contactsQuery = z.object({
  detail: z.literal('full', { error: 'detail takes one value: full' }).optional(),
  wait: z
    .string()
    .optional()
    .transform((text, context) => {
      if (text === undefined) return 0
      const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim())
      const ms = match ? Math.round(Number(match[1]) * (match[2] === 's' ? 1000 : 1)) : NaN
      if (!Number.isFinite(ms) || ms > MAX_CONTACTS_WAIT_MS) {
        context.addIssue({
          code: 'custom',
          message:
            `wait=${JSON.stringify(text)} is not a wait this route takes: give a duration up to ` +
            `${MAX_CONTACTS_WAIT_MS / 1000}s, e.g. wait=2s or wait=500 (milliseconds)`
        })
        return z.NEVER
      }
      return ms
    })
})

/** `GET /_sandbox/messages`: only the sends to one address (in any case), or of one transactional message. */
const messagesQuery = z.object({
  email: z.string().optional(),
  transactionalMessageId: z
    .string()
    .regex(/^[0-9]{1,10}$/, 'give a transactional message ID, e.g. 9001')
    .transform(Number)
    .optional()
})

/** `ListImport` as Listrak returns it. */
const listImportResource = (record: ListImportRecord): ListImport => ({
  importFileId: record.importFileId,
  importFileName: record.file.fileName,
  importDate: record.receivedAt
})

/** Builds the sandbox's HTTP server: Listrak's routes, the inspection routes and fault injection. */
export function buildServer(state: SandboxState, limits: ServerLimits): FastifyInstance {
  // An email address in a path can be up to 254 characters, beyond find-my-way's default of 100 for a parameter.
  const app = Fastify({ bodyLimit: limits.bodyLimitBytes, logger: false, routerOptions: { maxParamLength: 320 } })

  // Every body arrives raw, so each route decides, as Listrak does, what a wrong content type or bad JSON means.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  // When each request started, and whether it is one of Listrak's (those count in the stats and get faults).
  const started = new WeakMap<FastifyRequest, { at: number; listrak: boolean }>()
  // Requests drawn to be processed and then lose their answer, and requests already in the history.
  const dropAfterProcessing = new WeakSet<FastifyRequest>()
  const recorded = new WeakSet<FastifyRequest>()

  app.addHook('onRequest', async (request, reply) => {
    const listrak = isListrakPath(request.url)
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
    if (action === 'drop-after-processing') {
      dropAfterProcessing.add(request)
      return
    }
    if (action !== 'pass') {
      const message = `Sandbox fault injection answered ${action.status}.`
      return sendError(reply, envelope(action.status, SANDBOX_ERROR.INJECTED_FAULT, message))
    }
  })

  const record = (request: FastifyRequest, status: RequestRecord['status']) => {
    // A connection closed after processing can still end in an `onResponse`: one entry per request.
    if (recorded.has(request)) return
    recorded.add(request)
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
  // The request took effect like any other; only its answer never leaves.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (dropAfterProcessing.has(request)) {
      record(request, 'dropped-after-processing')
      request.raw.socket.destroy()
    }
    return payload
  })

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    // A list import's body is held to Listrak's limit rather than the sandbox's guard, and answered as Listrak does.
    if (error.statusCode === 413 && request.routeOptions.url === LIST_IMPORT_ROUTE) {
      const message =
        'Unable to locate a resource associated with the listId supplied. ' +
        `(The sandbox answers 404, as Listrak does, to list imports over ${limits.listImportMaxBytes} bytes.)`
      return sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    }
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
    const integration = parsed.success
      ? state.checkCredentials(parsed.data.client_id, parsed.data.client_secret)
      : undefined
    if (!integration) {
      const message = 'Invalid client credentials, inactive integration, or unauthorized IP address.'
      return sendError(reply, envelope(401, ERROR.INVALID_CREDENTIALS, message))
    }
    return state.issueToken(integration)
  })

  app.get(`${API}/List`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
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
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    return { status: 200, data: list.groups }
  })

  app.get<{ Params: { listId: string; groupId: string } }>(
    `${API}/List/:listId/SegmentationFieldGroup/:groupId/SegmentationField`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const groupId = groupFrom(request, reply, list)
      if (groupId === undefined) return reply
      const data = [...list.fields.values()].filter((f) => f.segmentationFieldGroupId === groupId)
      return { status: 200, data }
    }
  )

  const created = (reply: FastifyReply, result: Created) =>
    result.ok ? reply.code(201).send({ status: 201, resourceId: String(result.id) }) : sendError(reply, result.error)

  app.post<{ Params: { listId: string } }>(`${API}/List/:listId/SegmentationFieldGroup`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    const body = jsonBody(request, reply, segmentationFieldGroupBody, 'segmentationFieldGroupResource')
    if (!body) return reply
    return created(reply, state.createGroup(list, body.segmentationFieldGroupName, body.position))
  })

  app.post<{ Params: { listId: string; groupId: string } }>(
    `${API}/List/:listId/SegmentationFieldGroup/:groupId/SegmentationField`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const groupId = groupFrom(request, reply, list)
      if (groupId === undefined) return reply
      const body = jsonBody(request, reply, segmentationFieldBody, 'segmentationFieldResource')
      if (!body) return reply
      return created(reply, state.createField(list, groupId, body))
    }
  )

  app.post<{ Params: { listId: string } }>(IMPORT_ROUTE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
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

  app.post<{ Params: { listId: string } }>(CONTACT_ROUTE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    const body = jsonBody(request, reply, contactBody, 'contactResource')
    if (!body) return reply
    const query = queryFrom(request, reply, contactQuery)
    if (!query) return reply
    const result = state.writeContact(list, body, query)
    if (!result.ok) return sendError(reply, result.error)
    return reply.code(201).send({ status: 201, resourceId: result.contact.emailAddress })
  })

  app.get<{ Params: { listId: string; contactIdentifier: string } }>(
    `${CONTACT_ROUTE}/:contactIdentifier`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const query = queryFrom(request, reply, contactReadQuery)
      if (!query) return reply
      const fieldIds = query.segmentationFieldIds
      if (fieldIds.length > MAX_SEGMENTATION_FIELD_IDS) {
        const message = `At most ${MAX_SEGMENTATION_FIELD_IDS} segmentationFieldIds may be requested; ${fieldIds.length} were.`
        return sendError(reply, envelope(400, ERROR.TOO_MANY_SEGMENTATION_FIELDS, message))
      }
      const unknownField = fieldIds.find((id) => !list.fields.has(id))
      if (unknownField !== undefined) {
        const message = `An invalid value was supplied for segmentationFieldIds: ${unknownField} is not a profile field of list ${list.summary.listId}.`
        return sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, message))
      }
      const contact = state.findContact(list.summary.listId, request.params.contactIdentifier)
      if (!contact) {
        const message = 'Unable to locate a resource associated with the listId and contactIdentifier supplied.'
        return sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
      }
      return { status: 200, data: contactResource(contact, list.fields, fieldIds) }
    }
  )

  app.get<{ Params: { listId: string } }>(`${API}/List/:listId/Event`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    return { status: 200, data: [...list.events.values()] }
  })

  /** The list's transactional message named in the path; answers 404 and returns undefined when there is none. */
  const messageFrom = (
    request: FastifyRequest<{ Params: { transactionalMessageId: string } }>,
    reply: FastifyReply,
    list: ListState
  ) => {
    const id = parseId(request.params.transactionalMessageId)
    const message = id === undefined ? undefined : list.transactionalMessages.get(id)
    if (message) return message
    const text = 'Unable to locate a resource associated with the listId and transactionalMessageId supplied.'
    sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, text))
    return undefined
  }

  app.get<{ Params: { listId: string } }>(`${API}/List/:listId/TransactionalMessage`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    return { status: 200, data: [...list.transactionalMessages.values()] }
  })

  app.get<{ Params: { listId: string; transactionalMessageId: string } }>(MESSAGE_ROUTE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    const message = messageFrom(request, reply, list)
    if (!message) return reply
    return { status: 200, data: message }
  })

  app.post<{ Params: { listId: string; transactionalMessageId: string } }>(
    `${MESSAGE_ROUTE}/Message`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const message = messageFrom(request, reply, list)
      if (!message) return reply
      const body = jsonBody(request, reply, transactionalMessageContact, 'contactResource')
      if (!body) return reply
      const { emailAddress, segmentationFieldValues } = body
      if (!isEmailAddress(emailAddress)) {
        const text = `An invalid value was supplied for emailAddress: ${JSON.stringify(emailAddress)}.`
        return sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, text))
      }
      const listId = list.summary.listId
      const problem = checkFieldValues(listId, list.fields, segmentationFieldValues, emailAddress)
      if (problem) return sendError(reply, problem)
      const { transactionalMessageId } = message
      const { sequence } = state.recordSend({ listId, transactionalMessageId, emailAddress, segmentationFieldValues })
      return reply.code(201).send({ status: 201, resourceId: String(sequence) })
    }
  )

  app.get<{ Params: { listId: string; transactionalMessageId: string } }>(
    `${MESSAGE_ROUTE}/Activity`,
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const message = messageFrom(request, reply, list)
      if (!message) return reply
      const query = queryFrom(request, reply, transactionalMessageActivityQuery)
      if (!query) return reply
      const { dateType, startDate, endDate, emailAddress, cursor, count } = query
      // The sandbox records no opens or clicks: no activity date falls within any range.
      const noActivity = dateType === 'Activity' && (startDate !== undefined || endDate !== undefined)
      const activity = noActivity
        ? []
        : state.messageActivity(list.summary.listId, message.transactionalMessageId, {
            emailAddress,
            sentFrom: startDate,
            sentUntil: endDate
          })
      return { status: 200, ...pageOf(activity, { cursor, count }, request.url) }
    }
  )

  app.post<{ Params: { listId: string } }>(
    LIST_IMPORT_ROUTE,
    // The body is read up to Listrak's limit, past the sandbox's own guard; over it, the error handler answers 404.
    { bodyLimit: limits.listImportMaxBytes },
    async (request, reply) => {
      if (!authorized(state, request, reply)) return reply
      const list = listFrom(request, reply)
      if (!list) return reply
      const body = jsonBody(request, reply, importFileBody, 'importFileResource')
      if (!body) return reply
      const read = readImportFile(list.summary.listId, list.fields, body)
      if (!read.ok) return sendError(reply, read.error)
      const record = state.startListImport(list, read.file, (request.body as Buffer).length)
      return reply.code(201).send({ status: 201, resourceId: String(record.importFileId) })
    }
  )

  app.get<{ Params: { listId: string } }>(LIST_IMPORT_ROUTE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const list = listFrom(request, reply)
    if (!list) return reply
    const query = queryFrom(request, reply, listImportCollectionQuery)
    if (!query) return reply
    const { startDate = -Infinity, endDate = Infinity, cursor, count } = query
    const data = state
      .listImportsOf(list.summary.listId)
      .filter((record) => Date.parse(record.receivedAt) >= startDate && Date.parse(record.receivedAt) <= endDate)
      .slice(cursor, cursor + count)
      .map(listImportResource)
    // `Collection[ListImport]`: Listrak's definition of this answer has no `nextPageCursor`.
    return { status: 200, data }
  })

  /** The list's import named in the path; answers 404 and returns undefined when there is none. */
  const importFrom = (
    request: FastifyRequest<{ Params: { listId: string; importFileId: string } }>,
    reply: FastifyReply
  ): ListImportRecord | undefined => {
    const list = listFrom(request, reply)
    if (!list) return undefined
    const id = parseId(request.params.importFileId)
    const record = id === undefined ? undefined : state.listImport(list.summary.listId, id)
    if (record) return record
    const message = 'Unable to locate a resource associated with the listId and importFileId supplied.'
    sendError(reply, envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, message))
    return undefined
  }

  type ImportParams = { Params: { listId: string; importFileId: string } }

  app.get<ImportParams>(LIST_IMPORT_FILE_ROUTE, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const record = importFrom(request, reply)
    if (!record) return reply
    return { status: 200, data: listImportResource(record) }
  })

  app.get<ImportParams>(`${LIST_IMPORT_FILE_ROUTE}/Status`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const record = importFrom(request, reply)
    if (!record) return reply
    const data: ListImportStatus = {
      startDate: record.receivedAt,
      endDate: record.completedAt,
      status: record.status
    }
    return { status: 200, data }
  })

  app.get<ImportParams>(`${LIST_IMPORT_FILE_ROUTE}/Summary`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const record = importFrom(request, reply)
    if (!record) return reply
    return { status: 200, data: importSummary(record.results) }
  })

  app.get<ImportParams>(`${LIST_IMPORT_FILE_ROUTE}/Contact`, async (request, reply) => {
    if (!authorized(state, request, reply)) return reply
    const record = importFrom(request, reply)
    if (!record) return reply
    const query = queryFrom(request, reply, pageQuery)
    if (!query) return reply
    const contacts = record.results.map(({ emailAddress, importResult }): ListImportContact => ({
      emailAddress,
      importResult
    }))
    return { status: 200, ...pageOf(contacts, query, request.url) }
  })

  // Requests waiting (`?wait=`) for the next import or contact write to settle, taken or refused: each is woken once.
  const importWaiters = new Set<() => void>()
  const wakeImportWaiters = () => {
    for (const wake of importWaiters) wake()
    importWaiters.clear()
  }
  const nextImport = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        importWaiters.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      importWaiters.add(wake)
    })
  app.addHook('onResponse', async (request, reply) => {
    // A contact written by the create-or-update route ends a wait as an import does. A list import taken writes its
    // contacts later, and ends the wait then; one refused ends it at once.
    const url = request.routeOptions.url
    if (request.method !== 'POST') return
    if (url === IMPORT_ROUTE || url === CONTACT_ROUTE) wakeImportWaiters()
    if (url === LIST_IMPORT_ROUTE && reply.statusCode !== 201) wakeImportWaiters()
  })
  const stopListening = state.onListImportApplied(wakeImportWaiters)
  // A stop does not wait out the waits, and drops the list imports still queued, whose timers would keep it alive.
  app.addHook('preClose', async () => {
    wakeImportWaiters()
    stopListening()
    state.stopListImports()
  })

  // Inspection and control, outside Listrak's paths.
  app.get('/_sandbox/imports', async () => state.imports.toJSON())
  app.get('/_sandbox/list-imports', async () => state.listImports.toJSON())
  app.get('/_sandbox/requests', async () => state.requests.toJSON())
  app.get('/_sandbox/stats', async () => state.stats)
  app.get('/_sandbox/messages', async (request, reply) => {
    const query = inspectionQuery(request, reply, messagesQuery)
    return query ? state.messagesSent(query) : reply
  })
  app.get<{ Params: { listId: string } }>('/_sandbox/lists/:listId/contacts', async (request, reply) => {
    const listId = parseId(request.params.listId)
    if (listId === undefined || !state.lists.has(listId)) {
      return sendError(
        reply,
        envelope(404, ERROR.UNABLE_TO_LOCATE_RESOURCE, `The sandbox has no list ${request.params.listId}.`)
      )
    }
    const query = contactsQuery.safeParse(request.query)
    if (!query.success) {
      return sendError(reply, envelope(400, ERROR.INVALID_PARAMETER, `${query.error.issues[0].message}.`))
    }
    // With ?wait=, a list still empty is answered once an import settles (or the wait ends), so a quick start that
    // sends an event and asks for its contact at once sees it rather than racing the runtime's flush.
    if (query.data.wait > 0 && state.contactsOf(listId).length === 0) await nextImport(query.data.wait)
    const contacts = query.data.detail === 'full' ? state.contactDetailsOf(listId) : state.contactsOf(listId)
    return { listId, contacts }
  })
  app.post('/_sandbox/reset', async () => {
    state.reset()
    return {
      status: 200,
      message: 'The sandbox is back to its fixture: no contacts (email or SMS), tokens or history.'
    }
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

  registerSmsRoutes(app, state)
  return app
}
