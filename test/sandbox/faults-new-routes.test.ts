import { useSandbox } from './client'
import { importFile, listrakApi } from './listrak-api'

/**
 * The faults on the contact, event, transactional message and list import routes, and the connection dropped after
 * processing.
 */

const { current: box, start } = useSandbox()

const setFaults = (faults: unknown) => box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify(faults) })
const requestStatuses = async () =>
  ((await box.api.call('GET', '/_sandbox/requests')).json.data as { path: string; status: unknown }[]).map((r) => [
    r.path,
    r.status
  ])

const jane = { emailAddress: 'jane@example.com', segmentationFieldValues: [] }
const janeImport = importFile('Email,6789\r\njane@example.com,on\r\n')

/** The status of a request, or 0 when the connection closed without an answer. */
const statusOf = (answer: Promise<{ status: number }>) =>
  answer.then(
    (a) => a.status,
    () => 0
  )

describe('a connection dropped after processing (dropAfterRate)', () => {
  it('sends the message though the client sees the connection close without an answer', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ dropAfterRate: 1 })
    await expect(api.send(jane)).rejects.toThrow()
    await box.api.call('DELETE', '/_sandbox/faults')
    expect(await api.messages()).toMatchObject({ total: 1, perRecipient: { 'jane@example.com': 1 } })
    expect(await requestStatuses()).toContainEqual([
      '/email/v1/List/12345/TransactionalMessage/9001/Message',
      'dropped-after-processing'
    ])
    // The client's retry sends it again: Listrak keeps no idempotency key.
    expect((await api.send(jane)).json).toEqual({ status: 201, resourceId: '2' })
    expect(await api.messages()).toMatchObject({ total: 2, perRecipient: { 'jane@example.com': 2 } })
  })

  it('writes the contact though the client sees the connection close', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ dropAfterRate: 1 })
    await expect(api.postContact(jane, '?eventIds=3001')).rejects.toThrow()
    await box.api.call('DELETE', '/_sandbox/faults')
    expect((await api.contactDetails())['jane@example.com']).toMatchObject({
      subscriptionState: 'Subscribed',
      events: [{ eventId: 3001, raisedAt: expect.any(String) }]
    })
  })

  it('takes and applies the list import though the client sees the connection close', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ dropAfterRate: 1 })
    await expect(api.postListImport(janeImport)).rejects.toThrow()
    await box.api.call('DELETE', '/_sandbox/faults')
    expect(await api.completed(1)).toMatchObject({ status: 'Completed' })
    expect(await box.api.contacts()).toEqual({ 'jane@example.com': { '6789': 'on' } })
    expect(await requestStatuses()).toContainEqual(['/email/v1/List/12345/ListImport', 'dropped-after-processing'])
  })

  it('keeps in-flight requests and the request history right', async () => {
    await start({ faults: { dropAfterRate: 1 } })
    await expect(box.api.token()).rejects.toThrow()
    const stats = (await box.api.call('GET', '/_sandbox/stats')).json
    expect(stats).toMatchObject({ requests: 1, inFlight: 0, tokensIssued: 1 })
    // One entry for the request, though its connection closed after its answer was made.
    const tokenRequests = (await requestStatuses()).filter(([path]) => path === '/OAuth2/Token')
    expect(tokenRequests).toEqual([['/OAuth2/Token', 'dropped-after-processing']])
  })

  it('drops a share of requests, the same ones under the same seed', async () => {
    await start()
    const token = await box.api.token()
    const api = listrakApi(box.sandbox, token)
    const run = async (seed: number) => {
      await setFaults({ seed, dropAfterRate: 0.5 })
      const seen: number[] = []
      for (let i = 0; i < 30; i++) seen.push(await statusOf(api.send(jane)))
      return seen
    }
    const first = await run(7)
    expect(await run(7)).toEqual(first)
    expect(await run(8)).not.toEqual(first)
    const dropped = first.filter((s) => s === 0).length
    expect(dropped).toBeGreaterThan(4)
    expect(dropped).toBeLessThan(26)
    // Every request was processed, answered or not.
    expect((await api.messages()).total).toBe(90)
  })

  it('leaves the other faults drawn under a seed as they were', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    const run = async (dropAfterRate: number) => {
      await setFaults({ seed: 3, failureRate: 0.4, failureStatus: 503, dropAfterRate })
      const seen: number[] = []
      for (let i = 0; i < 30; i++) seen.push(await statusOf(api.send(jane)))
      return seen
    }
    const without = await run(0)
    const withDrops = await run(0.5)
    expect(withDrops.map((s, i) => (s === 0 ? without[i] : s))).toEqual(without)
    expect(withDrops.filter((s, i) => s === 0 && without[i] === 503)).toEqual([])
  })

  it('shows in the faults in force, and refuses a share outside 0 to 1', async () => {
    await start({ faults: { dropAfterRate: 0.25 } })
    expect((await box.api.call('GET', '/_sandbox/faults')).json).toMatchObject({ dropAfterRate: 0.25, dropRate: 0 })
    const bad = await setFaults({ dropAfterRate: 1.5 })
    expect([bad.status, bad.json.error]).toEqual([400, 'ERROR_INVALID_PARAMETER'])
    expect(bad.json.message).toContain('dropAfterRate')
    expect((await box.api.call('DELETE', '/_sandbox/faults')).json).toMatchObject({ dropAfterRate: 0 })
  })
})

describe('faults before processing on the new routes', () => {
  it('answers an injected 503 before processing: nothing sent, nothing written', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ failureRate: 1, failureStatus: 503 })
    const answer = await api.send(jane)
    expect([answer.status, answer.json]).toEqual([
      503,
      { status: 503, error: 'ERROR_INJECTED_FAULT', message: expect.any(String) }
    ])
    expect((await api.postContact(jane)).status).toBe(503)
    expect((await api.postListImport(janeImport)).status).toBe(503)
    await box.api.call('DELETE', '/_sandbox/faults')
    expect(await api.messages()).toMatchObject({ total: 0, data: [] })
    expect(await api.contactDetails()).toEqual({})
    expect((await box.api.call('GET', '/_sandbox/list-imports')).json).toMatchObject({ total: 0 })
  })

  it('drops the connection before processing (dropRate): nothing sent', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ dropRate: 1 })
    await expect(api.send(jane)).rejects.toThrow()
    await box.api.call('DELETE', '/_sandbox/faults')
    expect(await api.messages()).toMatchObject({ total: 0 })
    expect(await requestStatuses()).toContainEqual([
      '/email/v1/List/12345/TransactionalMessage/9001/Message',
      'dropped'
    ])
  })

  it.each([429, 500, 502, 503])('fails every new route with an injected %i', async (status) => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    expect((await api.postListImport(janeImport)).status).toBe(201)
    await api.completed(1)
    await setFaults({ failureRate: 1, failureStatus: status })
    const answers = await Promise.all([
      api.postContact(jane),
      api.getContact('jane@example.com'),
      api.get('/List/12345/Event'),
      api.get('/List/12345/TransactionalMessage'),
      api.get('/List/12345/TransactionalMessage/9001'),
      api.send(jane),
      api.postListImport(janeImport),
      ...['', '/1', '/1/Status', '/1/Summary', '/1/Contact'].map((route) => api.get(`/List/12345/ListImport${route}`))
    ])
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(status))
  })

  it('adds latency to the new routes', async () => {
    await start()
    const api = listrakApi(box.sandbox, await box.api.token())
    await setFaults({ latencyMs: 60 })
    const started = performance.now()
    expect((await api.send(jane)).status).toBe(201)
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
    const importStarted = performance.now()
    expect((await api.postListImport(janeImport)).status).toBe(201)
    expect(performance.now() - importStarted).toBeGreaterThanOrEqual(55)
  })

  it('shows listImportDelayMs in the faults in force, and refuses a negative one', async () => {
    await start({ faults: { listImportDelayMs: 250 } })
    expect((await box.api.call('GET', '/_sandbox/faults')).json).toMatchObject({ listImportDelayMs: 250 })
    const bad = await setFaults({ listImportDelayMs: -1 })
    expect([bad.status, bad.json.error]).toEqual([400, 'ERROR_INVALID_PARAMETER'])
    expect(bad.json.message).toContain('listImportDelayMs')
    expect((await box.api.call('DELETE', '/_sandbox/faults')).json).toMatchObject({ listImportDelayMs: 0 })
  })

  it('stops a token after its uses on the new routes', async () => {
    await start({ faults: { tokenMaxUses: 2 } })
    const api = listrakApi(box.sandbox, await box.api.token())
    expect((await api.postContact(jane)).status).toBe(201)
    expect((await api.send(jane)).status).toBe(201)
    const refused = await api.send(jane)
    expect([refused.status, refused.json.error]).toEqual([401, 'ERROR_UNAUTHORIZED'])
    expect((await api.messages()).total).toBe(1)
  })
})
