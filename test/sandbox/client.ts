import { listrakDestination } from '../../src'
import { startSandbox, Sandbox, SandboxOptions } from '../../sandbox'

/** The client-credentials form for the demo credentials of the sandbox's default fixture. */
export const DEMO_TOKEN_FORM = 'grant_type=client_credentials&client_id=demo-client-id&client_secret=demo-client-secret'

/** A bearer token from a token endpoint; fails with the endpoint's answer when it gives none. */
export async function fetchToken(authUrl: string, form = DEMO_TOKEN_FORM): Promise<string> {
  const response = await fetch(authUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form
  })
  const text = await response.text()
  const token = response.status === 200 ? (JSON.parse(text) as { access_token?: unknown }).access_token : undefined
  if (typeof token !== 'string') throw new Error(`${authUrl} gave no token: HTTP ${response.status} ${text}`)
  return token
}

/** A list's contacts in the sandbox, read over HTTP: address → field ID → value. */
export async function sandboxContacts(sandboxUrl: string, listId = 12345) {
  const response = await fetch(`${sandboxUrl}/_sandbox/lists/${listId}/contacts`)
  if (response.status !== 200) throw new Error(`list ${listId}'s contacts: HTTP ${response.status}`)
  const body = (await response.json()) as { contacts: { emailAddress: string; fields: Record<string, string> }[] }
  return Object.fromEntries(body.contacts.map((c) => [c.emailAddress, c.fields]))
}

/** A thin HTTP client for tests: real requests over loopback, JSON answers. */
export function client(sandbox: Sandbox) {
  const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
    const response = await fetch(`${sandbox.url}${path}`, { method, ...init })
    const text = await response.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, json: json as Record<string, unknown> & { data?: unknown[] }, text }
  }
  const token = (form = DEMO_TOKEN_FORM) => fetchToken(sandbox.authUrl, form)
  const importContacts = async (
    listId: number | string,
    body: unknown,
    accessToken: string,
    contentType = 'application/json'
  ) =>
    call('POST', `/email/v1/List/${listId}/Contact/SegmentationField`, {
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })
  const contacts = (listId?: number) => sandboxContacts(sandbox.url, listId)
  return { call, token, importContacts, contacts }
}

export const contact = (emailAddress: string, ...fields: [number, string][]) => ({
  emailAddress,
  segmentationFieldValues: fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
})

const LISTRAK_URLS = ['LISTRAK_AUTH_URL', 'LISTRAK_API_URL'] as const

/** The destination as a runtime builds it for a sandbox standing in for Listrak: its requests go to the sandbox. */
export const destinationFor = (sandbox: Pick<Sandbox, 'authUrl' | 'apiUrl'>) =>
  listrakDestination({ auth: sandbox.authUrl, api: sandbox.apiUrl })

let standIn: Sandbox | undefined

/** The destination sending to the sandbox that stands in for Listrak in the running test (`asListrak`). */
export function standInDestination() {
  if (!standIn) throw new Error('No sandbox stands in for Listrak: start one from useSandbox({ asListrak: true }).')
  return destinationFor(standIn)
}

/**
 * A sandbox per test: `start()` in the test or a `beforeEach`, stopped after each test. With `asListrak`, it
 * stands in for Listrak: `current.destination` sends to it, and LISTRAK_AUTH_URL and LISTRAK_API_URL, which a
 * runtime reads, point at it until the test ends.
 */
export function useSandbox({ asListrak = false }: { asListrak?: boolean } = {}) {
  const current = {} as {
    sandbox: Sandbox
    api: ReturnType<typeof client>
    destination: ReturnType<typeof listrakDestination>
  }
  const saved: Partial<Record<(typeof LISTRAK_URLS)[number], string | undefined>> = {}
  const start = async (options: SandboxOptions = {}) => {
    current.sandbox = await startSandbox(options)
    current.api = client(current.sandbox)
    current.destination = destinationFor(current.sandbox)
    if (asListrak) {
      standIn = current.sandbox
      for (const name of LISTRAK_URLS) if (!(name in saved)) saved[name] = process.env[name]
      process.env.LISTRAK_AUTH_URL = current.sandbox.authUrl
      process.env.LISTRAK_API_URL = current.sandbox.apiUrl
    }
    return current.sandbox
  }
  afterEach(async () => {
    for (const name of LISTRAK_URLS) {
      if (!(name in saved)) continue
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
      delete saved[name]
    }
    if (standIn === current.sandbox) standIn = undefined
    await current.sandbox?.stop()
  })
  return { current, start }
}
