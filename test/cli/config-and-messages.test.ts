import { execFile } from 'child_process'
import { mkdtempSync, realpathSync, writeFileSync } from 'fs'
import { createServer, Server } from 'net'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { sandboxContacts } from '../sandbox/client'
import { waitFor } from '../wait'
import { CLI, exited, startCli } from './process'

/** What users saw of the CLI's config handling and messages: each test runs the built command line. */

const run = promisify(execFile)
const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }

/** The environment of a command: this one without the settings under test, so nothing leaks in from outside. */
function environment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL', 'PORT'])
    delete env[name]
  return { ...env, ...extra }
}

/** A directory of its own (for the queue store and dead letters) with `config` written in it. */
function configIn(config: unknown): { cwd: string; file: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'config-and-messages-'))
  const file = path.join(cwd, 'config.json')
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2))
  return { cwd, file }
}

/** Runs a command to its end; resolves with its exit code and output whatever the code. */
async function complete(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: environment(), ...options })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

const subscription = (name: string, subscribe: string, mapping: Record<string, unknown>) => ({
  name,
  subscribe,
  partnerAction: 'updateEmailContactProfileFields',
  mapping
})
/** Buyers, on list 67890 (Promotions), where field 8801 is a check box. */
const buyers = subscription('buyers → list 67890', 'type = "track" and event = "Bought"', {
  listId: 67890,
  profileFieldValues: { '8801': 'on' }
})

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = await listening()
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function listening(port = 0): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}

/** `serve` of the buyers subscription, in memory, without the check, against the embedded sandbox. */
async function serveBuyers() {
  const { cwd, file } = configIn({ subscriptions: [buyers] })
  const serve = await startCli(['serve', '--config', file, '--port', '0', '--memory', '--no-check'], /^Stats:/m, {
    cwd,
    env: environment()
  })
  return { serve, url: /listening on (http:\/\/\S+)/.exec(serve.output())?.[1] as string }
}

async function stop(child: Awaited<ReturnType<typeof startCli>>['child']) {
  child.kill('SIGINT')
  expect(await exited(child)).toEqual([0, null])
}

describe('listrak-actions check', () => {
  it('refuses a literal List ID that is not one, and leaves a List ID read from each event to the events', async () => {
    const { cwd, file } = configIn({
      subscriptions: [
        subscription('literal', 'type = "track"', { listId: 'abc', profileFieldValues: { '6789': 'on' } }),
        subscription('per event', 'type = "track"', {
          listId: { '@path': '$.properties.list_id' },
          profileFieldValues: { '6789': 'on' }
        })
      ]
    })
    const { code, stdout } = await complete(['check', '--config', file], { cwd })
    expect(code).toBe(1)
    expect(stdout).toMatch(/^literal\s+"abc"\s+error\s+"abc" is not a list ID: give the list's ID, a whole number/m)
    expect(stdout).toMatch(
      /^per event\s+\{"@path":"\$\.properties\.list_id"\}\s+skipped\s+the list comes from each event/m
    )
  })

  it('names the line and column of a config that is not JSON, and shows them', async () => {
    const { cwd, file } = configIn('{\n  "subscriptions": [\n    { name: 1 }\n  ]\n}\n')
    const { code, stderr } = await complete(['check', '--config', file], { cwd })
    expect(code).toBe(1)
    expect(stderr).toBe(
      `Invalid JSON in config ${file}: line 3, column 7: Expected property name or '}' in JSON\n` +
        '      { name: 1 }\n' +
        '        ^\n'
    )
  })
})

describe('a config file that does not exist', () => {
  const examples = path.join(__dirname, '..', '..', 'examples')
  const message = (file: string, cwd: string) =>
    `Config file ${file} does not exist (looked for at ${path.join(cwd, file)}). Give the path of yours with ` +
    `--config <file>, or start from one of the example configs in ${examples}: config.every-audience.json, ` +
    'config.json, config.large-sync.json, config.profile-fields.json, config.transactional.json, ' +
    'config.two-mappings.json, ' +
    'config.unsubscribe.json, config.upsert-contact.json.\n'

  it.each([
    [['serve', '--port', '0', '--memory'], 1],
    [['check'], 1],
    [['replay', 'events.ndjson'], 2],
    [['dead-letters', 'list'], 1],
    [['dead-letters', 'export'], 1],
    [['dead-letters', 'retry'], 1],
    [['dead-letters', 'purge'], 1]
  ])('%j names it, --config and the example configs, and exits %d', async (args, exitCode) => {
    const cwd = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'config-and-messages-')))
    const { code, stdout, stderr } = await complete([...args, '--config', 'missing.json'], { cwd })
    expect(stderr).toBe(message('missing.json', cwd))
    expect(stdout).toBe('')
    expect(code).toBe(exitCode)
  })
})

describe('listrak-actions serve: what it says when it cannot start', () => {
  it('names the URL and the network error when Listrak cannot be reached for the check, and suggests --no-check', async () => {
    const port = await closedPort()
    const authUrl = `http://127.0.0.1:${port}/OAuth2/Token`
    const { cwd, file } = configIn({
      settings: { client_id: 'an-id', client_secret: 'a-secret-never-shown' },
      listrak: { authUrl, apiUrl: `http://127.0.0.1:${port}/email/v1` },
      subscriptions: [buyers]
    })
    const { code, stdout, stderr } = await complete(['serve', '--config', file, '--port', '0', '--memory'], { cwd })
    expect(code).toBe(1)
    expect(stderr).toContain(`Could not reach Listrak at ${authUrl} (ECONNREFUSED).`)
    expect(stderr).toContain('listrak.authUrl (or LISTRAK_AUTH_URL)')
    expect(stderr).toContain('--no-check')
    expect(stderr).not.toMatch(/retried/)
    expect(stdout + stderr).not.toContain('a-secret-never-shown')
  })

  it('names the embedded sandbox and --sandbox-port when its port is in use', async () => {
    const taken = await listening()
    const { port } = taken.address() as { port: number }
    try {
      const { cwd, file } = configIn({ subscriptions: [buyers] })
      const args = ['serve', '--config', file, '--port', '0', '--sandbox-port', String(port), '--memory']
      const { code, stderr } = await complete(args, { cwd })
      expect(code).toBe(1)
      expect(stderr).toContain(`The embedded Listrak sandbox cannot listen on 127.0.0.1:${port}: the port is in use`)
      expect(stderr).toContain('--sandbox-port')
    } finally {
      taken.close()
    }
  })

  it("names --port and PORT when the runtime's own port is in use", async () => {
    const taken = await listening()
    const { port } = taken.address() as { port: number }
    try {
      const { cwd, file } = configIn({ subscriptions: [buyers] })
      const args = ['serve', '--config', file, '--sandbox-port', '0', '--memory', '--no-check']
      const { code, stderr } = await complete(args, { cwd, env: environment({ PORT: String(port) }) })
      expect(code).toBe(1)
      expect(stderr).toContain(`The runtime cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE).`)
      expect(stderr).toContain('--port or PORT')
    } finally {
      taken.close()
    }
  })

  it('lists the environment it reads in --help, in the order settings are taken', async () => {
    const { code, stdout } = await complete(['serve', '--help'])
    expect(code).toBe(0)
    for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL', 'PORT'])
      expect(stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'))
    expect(stdout).toContain(
      'Each setting is taken from the first of: the command-line option, the environment, the config file, the default.'
    )
  })
})

describe('listrak-actions serve against a Listrak sandbox process', () => {
  it('delivers to LISTRAK_AUTH_URL / LISTRAK_API_URL over the config, says so, and fetches one token for the check and the delivery', async () => {
    const sandbox = await startCli(['sandbox', '--port', '0'], /Press Ctrl\+C/, { env: environment() })
    try {
      const authUrl = /LISTRAK_AUTH_URL=(\S+)/.exec(sandbox.output())?.[1] as string
      const apiUrl = /LISTRAK_API_URL=(\S+)/.exec(sandbox.output())?.[1] as string
      const sandboxUrl = new URL(authUrl).origin
      // The config's URLs lead nowhere: only the environment's work.
      const nowhere = await closedPort()
      const { cwd, file } = configIn({
        listrak: {
          authUrl: `http://127.0.0.1:${nowhere}/OAuth2/Token`,
          apiUrl: `http://127.0.0.1:${nowhere}/email/v1`
        },
        subscriptions: [buyers]
      })
      const env = environment({
        LISTRAK_CLIENT_ID: demo.client_id,
        LISTRAK_CLIENT_SECRET: demo.client_secret,
        LISTRAK_AUTH_URL: authUrl,
        LISTRAK_API_URL: apiUrl
      })
      const serve = await startCli(['serve', '--config', file, '--port', '0', '--memory'], /^Stats:/m, { cwd, env })
      try {
        const banner = serve.output()
        expect(banner).toContain(`Delivering to Listrak at ${apiUrl} (tokens from ${authUrl}).`)
        expect(banner).toMatch(/ok\s+check box/)
        const curl = banner
          .split('\n')
          .find((line) => line.startsWith('  curl -s http'))
          ?.trim() as string
        expect(curl).toContain('"event":"Bought"')
        expect((await run('sh', ['-c', curl])).stdout).toBe('{"success":true}')
        const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1] as string
        await waitFor(
          'the event to be delivered',
          async () => (await (await fetch(`${url}/stats`)).json()) as { delivered: number },
          (stats) => stats.delivered === 1
        )
      } finally {
        await stop(serve.child)
      }
      const requests = (await (await fetch(`${sandboxUrl}/_sandbox/requests`)).json()) as {
        data: { method: string; path: string }[]
      }
      const tokenRequests = requests.data.filter((r) => r.method === 'POST' && r.path === '/OAuth2/Token')
      expect(tokenRequests).toHaveLength(1)
      const contacts = await (await fetch(`${sandboxUrl}/_sandbox/lists/67890/contacts`)).json()
      expect(contacts).toEqual({
        listId: 67890,
        contacts: [{ emailAddress: 'jane@example.com', fields: { '8801': 'on' } }]
      })
    } finally {
      await stop(sandbox.child)
    }
  })
})

describe('listrak-actions serve with the embedded sandbox', () => {
  it("prints a quick start from the config's subscriptions; both curls pasted at once show the contact", async () => {
    const { cwd, file } = configIn({ subscriptions: [buyers] })
    const serve = await startCli(['serve', '--config', file, '--port', '0', '--memory'], /^Stats:/m, {
      cwd,
      env: environment()
    })
    try {
      const banner = serve.output()
      expect(banner).toContain('Send an event that subscription "buyers → list 67890" matches:')
      expect(banner).not.toContain('my_audience')
      const lines = banner.split('\n')
      const curl = lines.find((line) => line.startsWith('  curl -s http'))?.trim() as string
      const contactsCurl = lines.find((line) => line.includes('/_sandbox/lists/'))?.trim() as string
      expect(lines[lines.indexOf(`  ${contactsCurl}`) - 1]).toBe('Then see the contact in list 67890:')
      expect(contactsCurl).toMatch(/^curl -s 'http:\/\/127\.0\.0\.1:\d+\/_sandbox\/lists\/67890\/contacts\?wait=2s'$/)

      const { stdout } = await run('sh', ['-c', `${curl}; echo; ${contactsCurl}`])
      expect(stdout.split('\n').map((line) => JSON.parse(line))).toEqual([
        { success: true },
        { listId: 67890, contacts: [{ emailAddress: 'jane@example.com', fields: { '8801': 'on' } }] }
      ])
    } finally {
      await stop(serve.child)
    }
  })

  it('logs a refused delivery under the list its mapping names', async () => {
    const { serve, url } = await serveBuyers()
    try {
      const refused = { userId: 'u', event: 'Bought', context: { traits: { email: 'not-an-address' } } }
      const answer = await fetch(`${url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(refused)
      })
      expect(answer.status).toBe(200)
      const line = await waitFor(
        'the delivery to be logged',
        () =>
          serve
            .output()
            .split('\n')
            .find((l) => l.includes('"msg":"delivery"')),
        (found) => found !== undefined
      )
      expect(JSON.parse(line as string)).toMatchObject({
        subscription: 'buyers → list 67890',
        listId: '67890',
        statuses: { '400': 1 }
      })
    } finally {
      await stop(serve.child)
    }
  })

  it('delivers events whose addresses have spaces around them, trimmed', async () => {
    const { serve, url } = await serveBuyers()
    try {
      const sandbox = /(http:\/\/\S+)\/_sandbox\/lists\//.exec(serve.output())?.[1] as string
      expect(sandbox).toBeDefined()
      for (const email of [' padded@example.com ', 'trailing@example.com ']) {
        const answer = await fetch(`${url}/v1/track`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: 'u', event: 'Bought', context: { traits: { email } } })
        })
        expect(answer.status).toBe(200)
      }
      const contacts = await waitFor(
        'both contacts in list 67890',
        () => sandboxContacts(sandbox, 67890),
        (held) => Object.keys(held).length >= 2
      )
      expect(contacts).toEqual({ 'padded@example.com': { '8801': 'on' }, 'trailing@example.com': { '8801': 'on' } })
    } finally {
      await stop(serve.child)
    }
    expect(serve.output()).toContain('Stopped. accepted 2, matched 2, delivered 2')
  })

  it('takes POST /authenticate with the settings bare or as { settings }, as the dynamic-field routes do', async () => {
    const { serve, url } = await serveBuyers()
    try {
      const authenticate = async (body: unknown) =>
        (
          await fetch(`${url}/authenticate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body)
          })
        ).json()
      expect(await authenticate(demo)).toEqual({ ok: true })
      expect(await authenticate({ settings: demo })).toEqual({ ok: true })
      expect(await authenticate({ settings: { ...demo, client_secret: 'wrong' } })).toMatchObject({
        ok: false,
        error: expect.stringContaining('ERROR_INVALID_CREDENTIALS')
      })
    } finally {
      await stop(serve.child)
    }
  })

  it('says the curl is for the example config when it cannot build one from the subscriptions', async () => {
    const bigSpenders = subscription('big spenders', 'type = "track" and properties.total > 100', {
      listId: 67890,
      profileFieldValues: { '8801': 'on' }
    })
    const { cwd, file } = configIn({ subscriptions: [bigSpenders] })
    const serve = await startCli(['serve', '--config', file, '--port', '0', '--memory', '--no-check'], /^Stats:/m, {
      cwd,
      env: environment()
    })
    try {
      expect(serve.output()).toContain('this curl is for the example config (examples/config.json)')
      expect(serve.output()).toContain('Then see the contact in list 67890:')
    } finally {
      await stop(serve.child)
    }
  })
})
