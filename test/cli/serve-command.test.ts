import { execFile, spawn } from 'child_process'
import { once } from 'events'
import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { waitFor } from '../wait'
import { CLI as cli, exited, startCli } from './process'

const root = path.join(__dirname, '..', '..')

describe('listrak-actions serve', () => {
  it('starts with the example config and the sandbox; the printed curl switches the field on; SIGINT stops it', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const { child, output } = await startCli(['serve', '--port', '0'], /^Stats:/m, { cwd })
    try {
      const banner = output()
      const lines = banner.split('\n')
      expect(banner).toMatch(/runtime listening on http:\/\/127\.0\.0\.1:\d+/)
      expect(banner).toContain('No Listrak credentials configured')
      const curl = lines.find((l) => l.trim().startsWith('curl -s http'))?.trim() as string
      const contactsCurl = lines.find((l) => l.includes('/_sandbox/lists/12345/contacts'))?.trim() as string

      const answer = await promisify(execFile)('sh', ['-c', curl])
      expect(JSON.parse(answer.stdout)).toEqual({ success: true })
      const contacts = await waitFor(
        'the printed contacts curl to show the field on',
        async () => (await promisify(execFile)('sh', ['-c', contactsCurl])).stdout,
        (stdout) => stdout.includes('"6789":"on"')
      )
      expect(JSON.parse(contacts)).toEqual({
        listId: 12345,
        contacts: [{ emailAddress: 'jane@example.com', fields: { '6789': 'on' } }]
      })
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited(child)).toEqual([0, null])
    expect(output()).toContain('Stopped. accepted 1, matched 1, delivered 1')
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
    const { child, output } = await startCli(
      ['serve', '--config', file, '--no-check', '--allow-unauthenticated'],
      /^Stats:/m,
      { cwd }
    )
    try {
      expect(output()).toMatch(/^Warning: serving on 0\.0\.0\.0 without a write key/m)
      // Talked to on loopback only.
      const port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(output())?.[1]
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited(child)).toEqual([0, null])
  })
})

describe('listrak-actions serve with a write key', () => {
  it('never prints the key; its curl takes it from $WRITE_KEY and is accepted', async () => {
    const writeKey = 'wk-9f3c2a7e51d84b06'
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const file = path.join(cwd, 'keyed.json')
    const example = JSON.parse(readFileSync(path.join(root, 'examples', 'config.json'), 'utf8'))
    writeFileSync(file, JSON.stringify({ ...example, ingest: { writeKey } }))
    const { child, output } = await startCli(
      ['serve', '--config', file, '--port', '0', '--sandbox-port', '0', '--memory', '--no-check'],
      /^Stats:/m,
      { cwd }
    )
    try {
      expect(output()).not.toContain(writeKey)
      const lines = output().split('\n')
      const curl = lines.find((l) => l.trim().startsWith('curl -s -u'))?.trim() as string
      expect(curl).toMatch(/^curl -s -u "\$WRITE_KEY:" http:\/\/127\.0\.0\.1:\d+\/v1\/track /)
      expect(lines[lines.indexOf(`  ${curl}`) - 1]).toBe(
        "The curl sends the write key from $WRITE_KEY: set it to the config's ingest.writeKey first (export WRITE_KEY=…)."
      )
      const sent = await promisify(execFile)('sh', ['-c', curl], { env: { ...process.env, WRITE_KEY: writeKey } })
      expect(JSON.parse(sent.stdout)).toEqual({ success: true })
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited(child)).toEqual([0, null])
    expect(output()).toContain('Stopped. accepted 1')
    // Everything the start and the stop wrote, stdout and stderr together.
    expect(output()).not.toContain(writeKey)
  })
})

describe('listrak-actions serve whose queue store turns read-only while it runs', () => {
  const mount = (args: string[]) => promisify(execFile)('mount', args)
  let readOnly: string | undefined

  afterEach(async () => {
    if (readOnly) await promisify(execFile)('umount', [readOnly])
    readOnly = undefined
  })

  /**
   * A read-only bind mount over the store: the runtime's open LMDB files stay writable (they were opened through
   * the mount below), but owner.json can no longer be removed. Root can write through chmod, not through this.
   */
  async function makeReadOnly(dir: string): Promise<void> {
    try {
      await mount(['--bind', dir, dir])
      readOnly = dir
      await mount(['-o', 'remount,bind,ro', dir])
    } catch (error) {
      throw new Error(
        `This test cannot run here: it makes the queue store read-only with a bind mount, which needs root ` +
          `(CAP_SYS_ADMIN) and mount(8): ${(error as Error).message}`
      )
    }
  }

  it('says the stop failed, and why, not that a second signal cut it short, and exits 1 after one SIGTERM', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-'))
    const store = path.join(cwd, 'store')
    const file = path.join(cwd, 'config.json')
    const example = JSON.parse(readFileSync(path.join(root, 'examples', 'config.json'), 'utf8'))
    writeFileSync(file, JSON.stringify({ ...example, queue: { path: store } }))
    const { child, output } = await startCli(
      ['serve', '--config', file, '--port', '0', '--sandbox-port', '0', '--no-check'],
      /^Stats:/m,
      { cwd }
    )
    try {
      const url = /listening on (http:\/\/\S+)/.exec(output())?.[1] as string
      await makeReadOnly(store)
      const event = readFileSync(path.join(root, 'examples', 'events', 'track-audience.ndjson'), 'utf8').split('\n')[0]
      const sent = await fetch(`${url}/v1/track`, { method: 'POST', body: event })
      expect(sent.status).toBe(200)
      await waitFor(
        'the event to be delivered',
        async () => (await (await fetch(`${url}/stats`)).json()) as { delivered: number },
        (stats) => stats.delivered === 1
      )
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited(child)).toEqual([1, null])
    const owner = path.join(store, 'owner.json')
    expect(output()).toContain(
      `listrak-actions: the stop failed: cannot remove ${owner} (EROFS): read-only file system\n`
    )
    expect(output()).toContain('Stopped (not cleanly: see the error above). accepted 1, matched 1, delivered 1,')
    expect(output()).not.toContain('second signal')
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
