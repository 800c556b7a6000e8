import { execFile, spawn } from 'child_process'
import { once } from 'events'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'

const root = path.join(__dirname, '..', '..')
const cli = path.join(root, 'dist', 'cli.js')

describe('listrak-actions serve', () => {
  it('starts with the example config and the sandbox; the printed curl switches the field on; SIGINT stops it', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    try {
      for (let i = 0; i < 200 && !/^Stats:/m.test(stdout); i++) await new Promise((resolve) => setTimeout(resolve, 25))
      const banner = stdout
      const lines = banner.split('\n')
      expect(banner).toMatch(/runtime listening on http:\/\/127\.0\.0\.1:\d+/)
      expect(banner).toContain('No Listrak credentials configured')
      const curl = lines.find((l) => l.trim().startsWith('curl -s http'))?.trim() as string
      const contactsCurl = lines.find((l) => l.includes('/_sandbox/lists/12345/contacts'))?.trim() as string

      const answer = await promisify(execFile)('sh', ['-c', curl])
      expect(JSON.parse(answer.stdout)).toEqual({ success: true })
      let contacts = ''
      for (let i = 0; i < 100 && !contacts.includes('"6789":"on"'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        contacts = (await promisify(execFile)('sh', ['-c', contactsCurl])).stdout
      }
      expect(JSON.parse(contacts)).toEqual({
        listId: 12345,
        contacts: [{ emailAddress: 'jane@example.com', fields: { '6789': 'on' } }]
      })
    } finally {
      child.kill('SIGINT')
    }
    const [code] = child.exitCode === null ? await once(child, 'close') : [child.exitCode]
    expect(code).toBe(0)
    expect(stdout).toContain('Stopped. accepted 1, matched 1, delivered 1')
  })

  it('refuses a broken config with the path of the bad key', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const file = path.join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({
        subscriptions: [{ name: 'x', subscribe: 'type = "track"', partnerAction: 'nope', mapping: {} }]
      })
    )
    const child = spawn(process.execPath, [cli, 'serve', '--config', file, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stderr).toContain('subscriptions.0.partnerAction')
  })
})

describe('listrak-actions serve on an address other machines can reach', () => {
  const subscriptions = [
    {
      name: 'my_audience',
      subscribe: 'type = "track"',
      partnerAction: 'updateEmailContactProfileFields',
      mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
    }
  ]

  it('refuses to start without a write key, before it starts anything, and says what to do', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd: mkdtempSync(path.join(os.tmpdir(), 'serve-')),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stderr).toMatch(/^Refusing to serve on 0\.0\.0\.0 without a write key/)
    expect(stderr).toContain('ingest.writeKey')
    expect(stderr).toContain('--allow-unauthenticated')
    expect(stdout).toBe('')
  })

  it('starts with --allow-unauthenticated and warns in its banner', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const file = path.join(cwd, 'open.json')
    writeFileSync(file, JSON.stringify({ subscriptions, ingest: { host: '0.0.0.0', port: 0 } }))
    const child = spawn(process.execPath, [cli, 'serve', '--config', file, '--no-check', '--allow-unauthenticated'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    try {
      for (let i = 0; i < 200 && !/^Stats:/m.test(stdout); i++) await new Promise((resolve) => setTimeout(resolve, 25))
      expect(stdout).toMatch(/^Warning: serving on 0\.0\.0\.0 without a write key/m)
      // Talked to on loopback only.
      const port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(stdout)?.[1]
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    } finally {
      child.kill('SIGINT')
    }
    const [code] = child.exitCode === null ? await once(child, 'close') : [child.exitCode]
    expect(code).toBe(0)
  })
})

describe('listrak-actions replay', () => {
  it('replays the example events and prints the summary table', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'replay-'))
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'replay', path.join(root, 'examples', 'events', 'track-audience.ndjson')],
      { cwd }
    )
    expect(stdout).toMatch(/^replay: 7 events read \(100%\)/m)
    expect(stdout).toMatch(/^delivered\s+7$/m)
    expect(stdout).toMatch(/^imports, list 12345\s+1 \(7 events\)$/m)
  })
})
