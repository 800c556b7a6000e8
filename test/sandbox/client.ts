import { startSandbox, Sandbox, SandboxOptions } from '../../sandbox'

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
  const token = async (
    form = 'grant_type=client_credentials&client_id=demo-client-id&client_secret=demo-client-secret'
  ) => {
    const answer = await call('POST', '/OAuth2/Token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form
    })
    return answer.json.access_token as string
  }
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
  return { call, token, importContacts }
}

export const contact = (emailAddress: string, ...fields: [number, string][]) => ({
  emailAddress,
  segmentationFieldValues: fields.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
})

/** A sandbox per test: `start()` in the test or a `beforeEach`, stopped after each test. */
export function useSandbox() {
  const current = {} as { sandbox: Sandbox; api: ReturnType<typeof client> }
  const start = async (options: SandboxOptions = {}) => {
    current.sandbox = await startSandbox(options)
    current.api = client(current.sandbox)
  }
  afterEach(async () => {
    await current.sandbox?.stop()
  })
  return { current, start }
}
