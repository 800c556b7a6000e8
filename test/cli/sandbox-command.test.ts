import { spawn, spawnSync } from 'child_process'
import { once } from 'events'
import path from 'path'
import readline from 'readline'

const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js')

describe('listrak-actions sandbox', () => {
  it('prints its URLs and demo credentials, serves tokens, and stops cleanly on SIGTERM', async () => {
    // `npm test` builds first, so this runs the command a user runs.
    const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0', '--latency', '1-3'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      const lines: string[] = []
      for await (const line of readline.createInterface({ input: child.stdout })) {
        lines.push(line)
        if (line.startsWith('Press Ctrl+C')) break
      }
      const output = lines.join('\n')
      expect(output).toContain('client ID demo-client-id, client secret demo-client-secret')
      expect(output).toMatch(/"latencyMs":\[1,3\]/)
      const authUrl = /LISTRAK_AUTH_URL=(\S+)/.exec(output)?.[1] as string
      expect(/LISTRAK_API_URL=(http:\/\/127\.0\.0\.1:\d+\/email\/v1)/.test(output)).toBe(true)

      const response = await fetch(authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=demo-client-id&client_secret=demo-client-secret'
      })
      expect(response.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })

  it('refuses a bad option with a message', async () => {
    const child = spawn(process.execPath, [cli, 'sandbox', '--failure-rate', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const [code] = await once(child, 'exit')
    expect(code).not.toBe(0)
    expect(stderr).toContain("option '--failure-rate <share>' argument 'lots' is invalid")
  })

  it.each([
    [['--failure-status', '404'], 'expected one of 429, 500, 502, 503'],
    [['--latency', '50-10'], 'expected a range low-high with low at most high'],
    [['--token-ttl', '0'], 'expected a whole number of at least 1'],
    [['--port', '70000'], 'expected a port number']
  ])('refuses %j, saying what it takes', (args, message) => {
    const result = spawnSync(process.execPath, [cli, 'sandbox', ...args], { encoding: 'utf8', timeout: 10_000 })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain(message)
  })
})

describe('listrak-actions serve', () => {
  it('names PORT when it is not a port number', () => {
    const result = spawnSync(process.execPath, [cli, 'serve'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...process.env, PORT: 'abc' }
    })
    expect(result.status).not.toBe(0)
    expect(result.stderr).toContain('PORT="abc": expected a number from 0 to 65535.')
  })
})
