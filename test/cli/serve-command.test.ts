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
