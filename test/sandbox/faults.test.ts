import { contact, useSandbox } from './client'

const { current: box, start } = useSandbox()

const body = [contact('a@example.com', [6789, 'on'])]

/** Sends `n` imports one after another and returns their statuses (0 for a dropped connection). */
async function statuses(n: number, token: string): Promise<number[]> {
  const seen: number[] = []
  for (let i = 0; i < n; i++) {
    seen.push(
      await box.api.importContacts(12345, body, token).then(
        (a) => a.status,
        () => 0
      )
    )
  }
  return seen
}

describe('fault injection', () => {
  it('fails the next N requests with the chosen status, then recovers', async () => {
    await start()
    const token = await box.api.token()
    await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ failNext: { count: 2, status: 500 } }) })
    expect(await statuses(3, token)).toEqual([500, 500, 201])
  })

  it('answers injected failures in the error envelope', async () => {
    await start()
    const token = await box.api.token()
    await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ failNext: { count: 1, status: 429 } }) })
    const answer = await box.api.importContacts(12345, body, token)
    expect([answer.status, answer.json]).toEqual([
      429,
      { status: 429, error: 'ERROR_INJECTED_FAULT', message: expect.any(String) }
    ])
  })

  it('fails a share of requests, the same ones under the same seed', async () => {
    await start()
    const token = await box.api.token()
    const run = async (seed: number) => {
      await box.api.call('POST', '/_sandbox/faults', {
        body: JSON.stringify({ seed, failureRate: 0.5, failureStatus: 503 })
      })
      return statuses(40, token)
    }
    const first = await run(7)
    const again = await run(7)
    const other = await run(8)
    expect(again).toEqual(first)
    expect(other).not.toEqual(first)
    const failed = first.filter((s) => s === 503).length
    expect(failed).toBeGreaterThan(5)
    expect(failed).toBeLessThan(35)
    expect(first.every((s) => s === 201 || s === 503)).toBe(true)
  })

  it('drops connections without an answer', async () => {
    await start()
    const token = await box.api.token()
    await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ dropRate: 1 }) })
    await expect(box.api.importContacts(12345, body, token)).rejects.toThrow()
    await box.api.call('DELETE', '/_sandbox/faults')
    expect(await statuses(1, token)).toEqual([201])
    const requests = await box.api.call('GET', '/_sandbox/requests')
    expect((requests.json.data as { status: unknown }[]).map((r) => r.status)).toContain('dropped')
  })

  it('adds latency to each request', async () => {
    await start({ faults: { latencyMs: [60, 80] } })
    await box.api.token()
    const [request] = (await box.api.call('GET', '/_sandbox/requests')).json.data as { durationMs: number }[]
    expect(request.durationMs).toBeGreaterThanOrEqual(55)
  })

  it('expires a token after N uses', async () => {
    await start({ faults: { tokenMaxUses: 2 } })
    const token = await box.api.token()
    expect(await statuses(3, token)).toEqual([201, 201, 401])
    expect(await statuses(1, await box.api.token())).toEqual([201])
  })

  it('leaves the inspection routes alone', async () => {
    await start({ faults: { failureRate: 1 } })
    expect((await box.api.call('GET', '/_sandbox/imports')).status).toBe(200)
    expect((await box.api.call('POST', '/OAuth2/Token')).status).toBe(503)
  })

  it('shows the faults in force and refuses a bad setting', async () => {
    await start({ faults: { latencyMs: 5 } })
    expect((await box.api.call('GET', '/_sandbox/faults')).json).toMatchObject({ latencyMs: 5, failureRate: 0 })
    const bad = await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ failureRate: 2, typo: 1 }) })
    expect([bad.status, bad.json]).toEqual([
      400,
      { status: 400, error: 'ERROR_INVALID_PARAMETER', message: expect.stringContaining('failureRate') }
    ])
    expect(bad.json.message).toContain('typo')
    // The bad setting changed nothing.
    expect((await box.api.call('GET', '/_sandbox/faults')).json).toMatchObject({ latencyMs: 5, failureRate: 0 })
  })
})
