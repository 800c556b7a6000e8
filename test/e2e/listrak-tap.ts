import { once } from 'events'
import http from 'http'
import type { AddressInfo } from 'net'
import type { Sandbox } from '../../sandbox'

/** One request to Listrak's Email API as it went through the tap: the body as sent, and the answer's status. */
export interface Tapped {
  method: string
  path: string
  body: string
  status: number
}

export interface ListrakTap {
  authUrl: string
  apiUrl: string
  /** The Email API requests forwarded so far, in the order they arrived (the token requests are not kept). */
  sent: Tapped[]
  stop(): Promise<void>
}

/** The request headers the sandbox needs; the rest (keep-alive, encodings) are the tap's own connection's business. */
const FORWARDED = ['authorization', 'content-type', 'accept']

/**
 * A loopback tap in front of the sandbox: it forwards every request unchanged and keeps the bodies of Listrak's Email
 * API requests, which the sandbox's own history does not (it keeps method, path and status). So a test can say
 * byte for byte what a runtime sent, a request the sandbox answered with an injected fault included. Token
 * requests are forwarded but not kept: their bodies hold the client secret.
 */
export async function startTap(sandbox: Pick<Sandbox, 'url'>): Promise<ListrakTap> {
  const sent: Tapped[] = []
  const server = http.createServer((request, response) => {
    void forward(request, response)
  })
  async function forward(request: http.IncomingMessage, response: http.ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const path = request.url ?? '/'
    const method = request.method ?? 'GET'
    const headers: Record<string, string> = {}
    for (const name of FORWARDED) {
      const value = request.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const tapped = path.startsWith('/email/v1/') ? { method, path, body: body.toString('utf8'), status: 0 } : undefined
    if (tapped) sent.push(tapped)
    try {
      const answer = await fetch(`${sandbox.url}${path}`, {
        method,
        headers,
        body: body.length > 0 ? body : undefined,
        signal: AbortSignal.timeout(10_000)
      })
      const text = Buffer.from(await answer.arrayBuffer())
      if (tapped) tapped.status = answer.status
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
      response.end(text)
    } catch (error) {
      // The sandbox did not answer: say so as a gateway would, so the failure shows in the runtime's outcome.
      if (tapped) tapped.status = 502
      response.writeHead(502, { 'content-type': 'text/plain' })
      response.end(`The tap could not reach the sandbox: ${(error as Error).message}`)
    }
  }
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    authUrl: `${url}/OAuth2/Token`,
    apiUrl: `${url}/email/v1`,
    sent,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    }
  }
}
