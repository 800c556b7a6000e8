import { startSandbox } from '../../sandbox'
import {
  contactBody,
  contactQuery,
  contactSegmentationFieldValue,
  contactSegmentationFieldValues,
  ERROR,
  FILE_COLUMN_TYPES,
  IMPORT_TYPES,
  importFileBody,
  importFileMapping,
  listImportCollectionQuery,
  pageQuery,
  segmentationFieldBody,
  segmentationFieldGroupBody,
  SUBSCRIPTION_STATES,
  transactionalMessageContact,
  UPDATE_TYPES
} from '../../sandbox/contract'
import { LISTRAK_URLS } from '../../src/api/urls'
import { planImports } from '../../src/updateEmailContactProfileFields/imports'
import { finishEvent, PreparedEvent, readEvent } from '../../src/updateEmailContactProfileFields/prepare'
import type { Payload } from '../../src/updateEmailContactProfileFields/generated-types'
import { client, contact } from '../sandbox/client'
import { importFile, listrakApi, values } from '../sandbox/listrak-api'
import { allowed, exampleCodes, listrakSpec, Schema, violations } from './swagger'

/**
 * Checks what the destination and the sandbox assume about Listrak against Listrak's own Email API description.
 */
const { present, spec } = listrakSpec('listrak-email-openapi.json')

;(present ? describe : describe.skip)("Listrak's Email API description", () => {
  const importRoute = () => spec.paths['/v1/List/{listId}/Contact/SegmentationField'].post

  it('has the token URL the destination uses by default', () => {
    expect(Object.values(spec.securityDefinitions).map((d) => d.tokenUrl)).toContain(LISTRAK_URLS.auth)
  })

  it('has the API base the destination uses by default', () => {
    expect(`https://${spec.host}${spec.basePath}/v1`).toBe(LISTRAK_URLS.api)
  })

  it('takes JSON at the import route, with an int32 list ID in the path', () => {
    expect(importRoute().consumes).toEqual(['application/json'])
    expect(importRoute().parameters).toContainEqual(
      expect.objectContaining({ name: 'listId', in: 'path', type: 'integer', format: 'int32' })
    )
  })

  it('accepts the import body the destination builds', () => {
    const prepareEvent = (payload: Payload): PreparedEvent => finishEvent(readEvent(payload), undefined, undefined)
    const prepared = [
      prepareEvent({
        listId: 12345,
        emailAddress: 'a@example.com',
        profileFieldValues: { '6789': 'on', '6790': false },
        enable_batching: true
      }),
      prepareEvent({
        listId: 12345,
        emailAddress: 'b@example.com',
        profileFieldValues: { '6789': 'off' },
        enable_batching: true
      })
    ]
    const [planned] = planImports(prepared)
    const body = importRoute().parameters?.find((p) => p.in === 'body') as unknown as { schema: Schema }
    expect(violations(planned.contacts, body.schema, spec)).toEqual([])
  })

  it('describes the error envelope and ResourceCreated the destination reads', () => {
    expect(Object.keys(spec.definitions.Error.properties ?? {}).sort()).toEqual(['error', 'message', 'status'])
    expect(spec.definitions.ResourceCreated.properties?.resourceId?.type).toBe('string')
  })
})

;(present ? describe : describe.skip)("the sandbox against Listrak's Email API description", () => {
  const definition = (name: string) => ({ $ref: `#/definitions/${name}` })

  it('enforces the import body as ContactSegmentationFieldValues[] defines it', () => {
    const contactDefinition = spec.definitions.ContactSegmentationFieldValues
    expect(Object.keys(contactSegmentationFieldValues.shape).sort()).toEqual(
      Object.keys(contactDefinition.properties ?? {}).sort()
    )
    expect(contactDefinition.required?.sort()).toEqual(['emailAddress', 'segmentationFieldValues'])
    const valueDefinition = spec.definitions.ContactSegmentationFieldValue
    expect(Object.keys(contactSegmentationFieldValue.shape).sort()).toEqual(
      Object.keys(valueDefinition.properties ?? {}).sort()
    )
  })

  it.each([
    ['SegmentationFieldGroup', segmentationFieldGroupBody.shape],
    ['SegmentationField', segmentationFieldBody.shape]
  ])('takes a %s to create as Listrak defines it: every writable member, the required ones required', (name, shape) => {
    const defined = spec.definitions[name] as Schema & { properties: Record<string, { readOnly?: boolean }> }
    const writable = Object.entries(defined.properties)
      .filter(([, p]) => !p.readOnly)
      .map(([key]) => key)
    expect(Object.keys(shape).sort()).toEqual(writable.sort())
    expect([...(defined.required ?? [])].sort()).toEqual(Object.keys(shape).sort())
  })

  it("uses the error codes of Listrak's examples for the import route", () => {
    const codes = exampleCodes(spec.paths['/v1/List/{listId}/Contact/SegmentationField'].post)
    expect(codes.length).toBeGreaterThan(0)
    for (const code of codes) expect(Object.values(ERROR)).toContain(code)
  })

  it("answers only error codes of Listrak's registry", () => {
    const registry = spec.info.description
    for (const code of Object.values(ERROR)) expect([code, registry.includes(`| ${code} |`)]).toEqual([code, true])
  })

  it.each([
    ['post', '/v1/List/{listId}/Contact'],
    ['get', '/v1/List/{listId}/Contact/{contactIdentifier}'],
    ['get', '/v1/List/{listId}/Event'],
    ['get', '/v1/List/{listId}/TransactionalMessage'],
    ['get', '/v1/List/{listId}/TransactionalMessage/{transactionalMessageId}'],
    ['post', '/v1/List/{listId}/TransactionalMessage/{transactionalMessageId}/Message'],
    ['post', '/v1/List/{listId}/ListImport'],
    ['get', '/v1/List/{listId}/ListImport'],
    ['get', '/v1/List/{listId}/ListImport/{importFileId}'],
    ['get', '/v1/List/{listId}/ListImport/{importFileId}/Status'],
    ['get', '/v1/List/{listId}/ListImport/{importFileId}/Summary'],
    ['get', '/v1/List/{listId}/ListImport/{importFileId}/Contact']
  ])("uses the error codes of Listrak's examples for %s %s", (method, route) => {
    const codes = exampleCodes(spec.paths[route][method])
    expect(codes.length).toBeGreaterThan(0)
    for (const code of codes) expect(Object.values(ERROR)).toContain(code)
  })

  it.each([
    ['Contact', contactBody.shape],
    ['TransactionalMessageContact', transactionalMessageContact.shape]
  ])('takes a %s as Listrak defines it: every writable member, the required ones required', (name, shape) => {
    const defined = spec.definitions[name] as Schema & { properties: Record<string, Schema> }
    const writable = Object.entries(defined.properties)
      .filter(([, p]) => !p.readOnly)
      .map(([key]) => key)
    expect(Object.keys(shape).sort()).toEqual(writable.sort())
    const members = shape as Record<string, { safeParse(value: unknown): { success: boolean } }>
    for (const key of defined.required ?? [])
      expect([key, members[key].safeParse(undefined).success]).toEqual([key, false])
  })

  it('takes the query parameters Listrak defines for creating or updating a contact, with their allowed values', () => {
    const route = spec.paths['/v1/List/{listId}/Contact'].post
    const query = (route.parameters ?? []).filter((p) => p.in === 'query')
    expect(Object.keys(contactQuery.shape).sort()).toEqual(query.map((p) => p.name).sort())
    // "Allowed values are `Update`, `Append`, and `Overwrite`. The default value is `Update`."
    expect(allowed(query.find((p) => p.name === 'updateType')?.description)).toEqual([...UPDATE_TYPES])
    expect(allowed(spec.definitions.Contact.properties?.subscriptionState.description)).toEqual([
      ...SUBSCRIPTION_STATES
    ])
  })

  it.each([
    ['ImportFile', importFileBody.shape],
    ['ImportFileMapping', importFileMapping.shape]
  ])('takes an %s as Listrak defines it: every member, the required ones required', (name, shape) => {
    const defined = spec.definitions[name] as Schema & { properties: Record<string, Schema> }
    expect(Object.keys(shape).sort()).toEqual(Object.keys(defined.properties).sort())
    const members = shape as Record<string, { safeParse(value: unknown): { success: boolean } }>
    for (const key of Object.keys(shape)) {
      const required = defined.required?.includes(key) ?? false
      expect([key, members[key].safeParse(undefined).success]).toEqual([key, !required])
    }
  })

  it('takes the import types, segmentation import types and column types Listrak allows, and no others', () => {
    const { ImportFile, ImportFileMapping } = spec.definitions
    expect(allowed(ImportFile.properties?.importType.description)).toEqual([...IMPORT_TYPES])
    expect(allowed(ImportFile.properties?.segmentationImportType.description)).toEqual([...UPDATE_TYPES])
    expect(allowed(ImportFileMapping.properties?.fileColumnType.description)).toEqual([...FILE_COLUMN_TYPES])
  })

  it.each([
    ['/v1/List/{listId}/ListImport', listImportCollectionQuery.shape],
    ['/v1/List/{listId}/ListImport/{importFileId}/Contact', pageQuery.shape]
  ])('takes the query parameters Listrak defines for GET %s', (route, shape) => {
    const query = (spec.paths[route].get.parameters ?? []).filter((p) => p.in === 'query')
    expect(Object.keys(shape).sort()).toEqual(query.map((p) => p.name).sort())
  })

  it("answers a list import's reads as Listrak does: every member of the summary, the 404 of its examples", async () => {
    const sandbox = await startSandbox()
    try {
      const listrak = listrakApi(sandbox, await client(sandbox).token())
      expect((await listrak.postListImport(importFile('Email,6789\r\njane@example.com,on\r\n'))).status).toBe(201)
      const summary = (await listrak.get('/List/12345/ListImport/1/Summary')).json.data as unknown as object
      expect(Object.keys(summary).sort()).toEqual(
        Object.keys(spec.definitions.ListImportSummary.properties ?? {}).sort()
      )
      for (const route of ['', '/Status', '/Summary', '/Contact']) {
        const example = spec.paths[`/v1/List/{listId}/ListImport/{importFileId}${route}`].get.responses['404']
        const answer = await listrak.get(`/List/12345/ListImport/2${route}`)
        expect([route, answer.json]).toEqual([route, example.examples?.['application/json']])
      }
    } finally {
      await sandbox.stop()
    }
  })

  it('answers in the shapes Listrak defines', async () => {
    // A list import's limit lowered, to see the 404 of an import over it; its rows held back, to see it queued.
    const sandbox = await startSandbox({ limits: { listImportMaxBytes: 4096 }, faults: { listImportDelayMs: 200 } })
    try {
      const api = client(sandbox)
      const token = await api.token()
      const auth = { headers: { authorization: `Bearer ${token}` } }
      const answers: [string, unknown][] = [
        ['Collection[List]', (await api.call('GET', '/email/v1/List', auth)).json],
        [
          'Collection[SegmentationFieldGroup]',
          (await api.call('GET', '/email/v1/List/12345/SegmentationFieldGroup', auth)).json
        ],
        [
          'Collection[SegmentationField]',
          (await api.call('GET', '/email/v1/List/12345/SegmentationFieldGroup/501/SegmentationField', auth)).json
        ],
        ['ResourceCreated', (await api.importContacts(12345, [contact('a@example.com', [6789, 'on'])], token)).json],
        ['Error', (await api.importContacts(999, [contact('a@example.com', [6789, 'on'])], token)).json],
        ['Error', (await api.importContacts(12345, 'nope', token)).json],
        ['Error', (await api.call('GET', '/email/v1/List')).json]
      ]
      const listrak = listrakApi(sandbox, token)
      const jane = { emailAddress: 'jane@example.com', segmentationFieldValues: [] }
      answers.push(
        ['Collection[Event]', (await listrak.get('/List/12345/Event')).json],
        ['Collection[TransactionalMessage]', (await listrak.get('/List/12345/TransactionalMessage')).json],
        ['Resource[TransactionalMessage]', (await listrak.get('/List/12345/TransactionalMessage/9001')).json],
        [
          'ResourceCreated',
          (await listrak.postContact({ ...jane, segmentationFieldValues: values([6789, 'on']) }, '?eventIds=3001')).json
        ],
        ['Resource[Contact]', (await listrak.getContact('jane@example.com', '?segmentationFieldIds=6789')).json],
        ['ResourceCreated', (await listrak.send(jane)).json],
        ['Error', (await listrak.postContact(jane, '', 999)).json],
        ['Error', (await listrak.postContact({ ...jane, subscriptionState: 'Unsubscribed' }, '?eventIds=3001')).json],
        ['Error', (await listrak.getContact('nobody@example.com')).json],
        ['Error', (await listrak.send(jane, 9999)).json]
      )
      const LIST_IMPORT = '/List/12345/ListImport'
      const posted = await listrak.postListImport(importFile('Email,6789\r\njane@example.com,on\r\n'))
      const queued = await listrak.get(`${LIST_IMPORT}/1/Status`)
      expect(queued.json.data).toMatchObject({ status: 'Queued', endDate: null })
      answers.push(['ResourceCreated', posted.json], ['Resource[ListImportStatus]', queued.json])
      await listrak.completed(1)
      answers.push(
        ['Collection[ListImport]', (await listrak.get(LIST_IMPORT)).json],
        ['Resource[ListImport]', (await listrak.get(`${LIST_IMPORT}/1`)).json],
        ['Resource[ListImportStatus]', (await listrak.get(`${LIST_IMPORT}/1/Status`)).json],
        ['Resource[ListImportSummary]', (await listrak.get(`${LIST_IMPORT}/1/Summary`)).json],
        ['CollectionPaged[ListImportContact]', (await listrak.get(`${LIST_IMPORT}/1/Contact?count=1`)).json]
      )
      // Each refusal of the list import routes, with the status and code Listrak's examples give.
      const refusals: [number, string, { status: number; json: unknown }][] = [
        [400, ERROR.INVALID_PARAMETER, await listrak.postListImport(importFile('', { importType: 'Everything' }))],
        [404, ERROR.UNABLE_TO_LOCATE_RESOURCE, await listrak.postListImport(importFile('Email\r\na@b.co\r\n'), 999)],
        [404, ERROR.UNABLE_TO_LOCATE_RESOURCE, await listrak.postListImport(importFile('x'.repeat(8000)))],
        [400, ERROR.INVALID_PARAMETER, await listrak.get(`${LIST_IMPORT}/1/Contact?count=5001`)],
        [404, ERROR.UNABLE_TO_LOCATE_RESOURCE, await listrak.get(`${LIST_IMPORT}/2/Summary`)]
      ]
      for (const [status, error, answer] of refusals) {
        expect([answer.status, answer.json]).toEqual([status, { status, error, message: expect.any(String) }])
        answers.push(['Error', answer.json])
      }
      for (const [name, answer] of answers)
        expect([name, violations(answer, definition(name), spec)]).toEqual([name, []])
    } finally {
      await sandbox.stop()
    }
  })
})
