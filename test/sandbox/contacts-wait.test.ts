import { startSandbox, Sandbox } from '../../sandbox'

/** `GET /_sandbox/lists/:listId/contacts?wait=`: an empty list is answered once an import settles, or the wait ends. */

let sandbox: Sandbox
beforeEach(async () => {
  sandbox = await startSandbox()
})
afterEach(() => sandbox.stop())

const contacts = (query = '', listId = 12345) => fetch(`${sandbox.url}/_sandbox/lists/${listId}/contacts${query}`)

async function importContact(body: unknown, listId = 12345, route = 'Contact/SegmentationField'): Promise<number> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: 'demo-client-id',
    client_secret: 'demo-client-secret'
  })
  const token = (await (await fetch(sandbox.authUrl, { method: 'POST', body: form })).json()) as {
    access_token: string
  }
  const response = await fetch(`${sandbox.apiUrl}/List/${listId}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  return response.status
}

const jane = [
  { emailAddress: 'jane@example.com', segmentationFieldValues: [{ segmentationFieldId: 6789, value: 'on' }] }
]

describe('the contacts route with ?wait=', () => {
  it('answers once an import lands, with its contact, well before the wait ends', async () => {
    const started = Date.now()
    const answer = contacts('?wait=5s')
    setTimeout(() => void importContact(jane), 200)
    const response = await answer
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      listId: 12345,
      contacts: [{ emailAddress: 'jane@example.com', fields: { '6789': 'on' } }]
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('answers once the create-or-update route writes a contact, as it does for an import', async () => {
    const started = Date.now()
    const answer = contacts('?wait=5s')
    const contact = { emailAddress: 'ana@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }
    setTimeout(() => void importContact(contact, 12345, 'Contact'), 100)
    expect(await (await answer).json()).toEqual({
      listId: 12345,
      contacts: [{ emailAddress: 'ana@example.com', fields: {} }]
    })
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('answers once an import is refused too, so a failed delivery does not hold it for the whole wait', async () => {
    const started = Date.now()
    const answer = contacts('?wait=5000')
    setTimeout(() => void importContact([{ emailAddress: 'not-an-address', segmentationFieldValues: [] }]), 100)
    expect(await (await answer).json()).toEqual({ listId: 12345, contacts: [] })
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('answers with no contacts when the wait ends without an import', async () => {
    const started = Date.now()
    const response = await contacts('?wait=300ms')
    expect(await response.json()).toEqual({ listId: 12345, contacts: [] })
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })

  it('answers at once when the list already has contacts', async () => {
    expect(await importContact(jane)).toBe(201)
    const started = Date.now()
    const response = await contacts('?wait=10s')
    expect((await response.json()) as unknown).toMatchObject({ contacts: [{ emailAddress: 'jane@example.com' }] })
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it.each(['soon', '11s', '10001', '-1', '2m', ''])('refuses wait=%j with 400, saying what it takes', async (wait) => {
    const response = await contacts(`?wait=${encodeURIComponent(wait)}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      status: 400,
      error: 'ERROR_INVALID_PARAMETER',
      message: `wait=${JSON.stringify(wait)} is not a wait this route takes: give a duration up to 10s, e.g. wait=2s or wait=500 (milliseconds).`
    })
  })

  it('lets the sandbox stop while a request waits', async () => {
    const answer = contacts('?wait=10s')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const started = Date.now()
    await sandbox.stop()
    expect((await answer).status).toBe(200)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
