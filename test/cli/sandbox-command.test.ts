import { spawn, spawnSync } from 'child_process'
import { once } from 'events'
import { createServer } from 'net'
import { fetchToken } from '../sandbox/client'
import { importFile } from '../sandbox/listrak-api'
import { CLI as cli, exited, startCli } from './process'

describe('listrak-actions sandbox', () => {
  it('prints its URLs and demo credentials, serves tokens, and stops cleanly on SIGTERM', async () => {
    const { child, output } = await startCli(['sandbox', '--port', '0', '--latency', '1-3'], /^Press Ctrl\+C/m)
    try {
      expect(output()).toContain('client ID demo-client-id, client secret demo-client-secret')
      expect(output()).toMatch(/"latencyMs":\[1,3\]/)
      expect(output()).toMatch(/LISTRAK_API_URL=http:\/\/127\.0\.0\.1:\d+\/email\/v1\b/)
      const authUrl = /LISTRAK_AUTH_URL=(\S+)/.exec(output())?.[1] as string
      expect(await fetchToken(authUrl)).toEqual(expect.any(String))
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([0, null])
  })

  it("--activity-lag holds each send back from its message's activity that long", async () => {
    const { child, output } = await startCli(['sandbox', '--port', '0', '--activity-lag', '1500'], /^Press Ctrl\+C/m)
    try {
      expect(output()).toMatch(/"activityLagMs":1500/)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([0, null])
  })

  it('--list-import-delay keeps each list import queued that long before its rows are applied', async () => {
    const { child, output } = await startCli(
      ['sandbox', '--port', '0', '--list-import-delay', '60000'],
      /^Press Ctrl\+C/m
    )
    try {
      expect(output()).toMatch(/"listImportDelayMs":60000/)
      expect(output()).toMatch(/list imports: http:\/\/127\.0\.0\.1:\d+\/_sandbox\/list-imports/)
      const apiUrl = /LISTRAK_API_URL=(\S+)/.exec(output())?.[1] as string
      const authorization = `Bearer ${await fetchToken(/LISTRAK_AUTH_URL=(\S+)/.exec(output())?.[1] as string)}`
      const posted = await fetch(`${apiUrl}/List/12345/ListImport`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(importFile('Email,6789\r\njane@example.com,on\r\n'))
      })
      expect(await posted.json()).toEqual({ status: 201, resourceId: '1' })
      await new Promise((resolve) => setTimeout(resolve, 200))
      const status = await fetch(`${apiUrl}/List/12345/ListImport/1/Status`, { headers: { authorization } })
      expect(await status.json()).toMatchObject({ status: 200, data: { status: 'Queued', endDate: null } })
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([0, null])
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
    [['--list-import-delay', 'soon'], "option '--list-import-delay <ms>' argument 'soon' is invalid"],
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

describe('listrak-actions sandbox on a port in use', () => {
  it('names the address and --port, exits 1, and shows no raw listen error', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as { port: number }
    try {
      const result = spawnSync(process.execPath, [cli, 'sandbox', '--port', String(port)], {
        encoding: 'utf8',
        timeout: 10_000
      })
      expect(result.status).toBe(1)
      expect(result.stderr).toBe(
        `The Listrak sandbox cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE). ` +
          'Give it another with --port (0 picks a free one), or stop what holds that port.\n'
      )
      expect(result.stdout).toBe('')
    } finally {
      taken.close()
    }
  })
})
