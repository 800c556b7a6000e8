import { execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { audienceTrack } from '../engage-events'
import { startRedisServer } from '../redis-server'
import { CLI, exited, startCli } from './process'

/** `listrak-actions replay` as a user runs it: the built command line, its exit code and what it prints. */

const root = path.join(__dirname, '..', '..')
const trackEvents = path.join(root, 'examples', 'events', 'track-audience.ndjson')
const run = promisify(execFile)

/** This environment without Listrak settings, so that every replay goes to the embedded sandbox. */
function environment(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL'])
    delete env[name]
  return env
}

/** A directory of its own, where the replay runs (its dead-letter file lands there) and its files are written. */
function directory(files: Record<string, string> = {}): { cwd: string; file: (name: string) => string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'replay-command-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(cwd, name), content)
  return { cwd, file: (name) => path.join(cwd, name) }
}

/** Runs a command to its end; resolves with its exit code and output whatever the code. */
async function complete(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, env: environment() })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

const ndjson = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n'
const events = [
  audienceTrack('jane@example.com', 'my_audience', true),
  audienceTrack('john@example.com', 'my_audience', true),
  audienceTrack('ana@example.com', 'my_audience', false)
]
/** The example config with a list the sandbox does not have: the check fails, and every delivery is refused. */
const missingList = JSON.stringify({
  subscriptions: [
    {
      name: 'my_audience → list 99999',
      subscribe: 'context.personas.computation_key = "my_audience"',
      partnerAction: 'updateEmailContactProfileFields',
      mapping: { listId: 99999, profileFieldValues: { '6789': 'useAudienceKey' } }
    }
  ]
})
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at |Unhandled 'error' event/m)

describe('listrak-actions replay: exit codes', () => {
  it('exits 0 when every matched event was delivered', async () => {
    const { cwd } = directory()
    const { code, stdout } = await complete(['replay', '--memory', trackEvents], cwd)
    expect(stdout).toMatch(/^delivered\s+7$/m)
    expect(stdout).toMatch(/^dead-lettered\s+0$/m)
    expect(code).toBe(0)
  })

  it('exits 1 when events were dead-lettered, and says so; --allow-failures exits 0', async () => {
    const { cwd, file } = directory({ 'config.json': missingList })
    const args = ['replay', '--memory', '--no-check', '--config', file('config.json'), trackEvents]
    const failed = await complete(args, cwd)
    expect(failed.stdout).toMatch(/^delivered\s+0$/m)
    expect(failed.stdout).toMatch(/^dead-lettered\s+7$/m)
    expect(failed.stderr).toContain('Not everything went through, exit 1: 7 event(s) dead-lettered')
    expect(failed.code).toBe(1)

    const allowed = await complete([...args, '--allow-failures'], cwd)
    expect(allowed.stdout).toMatch(/^dead-lettered\s+7$/m)
    expect(allowed.stderr).toContain('exit 0 (--allow-failures): 7 event(s) dead-lettered')
    expect(allowed.code).toBe(0)
  })

  it('exits 2 for a usage error, even with --allow-failures', async () => {
    const { cwd } = directory()
    const missing = await complete(['replay', '--memory'], cwd)
    expect(missing.stderr).toContain("missing required argument 'file'")
    expect(missing.code).toBe(2)
    const unknown = await complete(['replay', '--memory', '--allow-failures', '--nope', trackEvents], cwd)
    expect(unknown.stderr).toContain("unknown option '--nope'")
    expect(unknown.code).toBe(2)
  })

  it('exits 2 for a config that cannot be read, even with --allow-failures', async () => {
    const { cwd, file } = directory({ 'config.json': '{ "subscriptions": ' })
    const { code, stdout, stderr } = await complete(
      ['replay', '--memory', '--allow-failures', '--config', file('config.json'), trackEvents],
      cwd
    )
    expect(stderr).toContain(`config ${file('config.json')}`)
    expect(stdout).toBe('')
    noStackTrace(stderr)
    expect(code).toBe(2)
  })

  it('documents its exit codes and options in --help', async () => {
    const { code, stdout } = await complete(['replay', '--help'], directory().cwd)
    expect(stdout).toContain('Exit codes:')
    expect(stdout).toMatch(/^ {2}0 {2}every event that matched a subscription was delivered/m)
    expect(stdout).toMatch(/^ {2}1 {2}an event was dead-lettered/m)
    expect(stdout).toMatch(/^ {2}2 {2}the replay could not go through the file/m)
    for (const option of ['--allow-failures', '--no-check', '--keep-sandbox']) expect(stdout).toContain(option)
    expect(code).toBe(0)
  })
})

describe('listrak-actions replay: the config check', () => {
  it('checks the config as serve does, and exits 2 with the check table when it fails, replaying nothing', async () => {
    const { cwd, file } = directory({ 'config.json': missingList })
    const { code, stdout, stderr } = await complete(
      ['replay', '--memory', '--allow-failures', '--config', file('config.json'), trackEvents],
      cwd
    )
    expect(stderr).toContain('The config does not fit the Listrak account:')
    expect(stderr).toMatch(
      /my_audience → list 99999 +99999 +error +list 99999 does not exist for these API credentials/
    )
    expect(stdout).not.toMatch(/^delivered/m)
    expect(code).toBe(2)
  })

  it('prints the check it passed before the replay', async () => {
    const { code, stdout } = await complete(['replay', '--memory', trackEvents], directory().cwd)
    expect(stdout).toMatch(/^Config check:\n {2}subscription .*\n {2}my_audience → list 12345 .* ok /m)
    expect(stdout.indexOf('Config check:')).toBeLessThan(stdout.indexOf('replay: 7 events read'))
    expect(code).toBe(0)
  })
})

describe('listrak-actions replay: files that are not event files', () => {
  it('exits 2 for an empty file, naming it', async () => {
    const { cwd, file } = directory({ 'empty.ndjson': '' })
    const { code, stdout, stderr } = await complete(['replay', '--memory', file('empty.ndjson')], cwd)
    expect(stderr).toContain(`${file('empty.ndjson')} is empty: it holds no events.`)
    expect(stdout).not.toMatch(/^delivered/m)
    noStackTrace(stderr)
    expect(code).toBe(2)
  })

  it('exits 2 for a first line that is not JSON, naming the file and line, and replays nothing', async () => {
    const { cwd, file } = directory({ 'broken.ndjson': `{"type": \n${ndjson(events)}` })
    const { code, stdout, stderr } = await complete(['replay', '--memory', file('broken.ndjson')], cwd)
    expect(stderr).toContain(`${file('broken.ndjson')}, line 1: not JSON (`)
    expect(stdout).not.toMatch(/^delivered/m)
    noStackTrace(stderr)
    expect(code).toBe(2)
  })

  it('counts a broken line in the middle of NDJSON as an invalid line, replays the rest and exits 1', async () => {
    const [first, ...rest] = ndjson(events).trim().split('\n')
    const { cwd, file } = directory({ 'mid.ndjson': [first, '{"type": "track", oops', ...rest].join('\n') })
    const { code, stdout, stderr } = await complete(['replay', '--memory', file('mid.ndjson')], cwd)
    expect(stdout).toMatch(/^invalid\s+1$/m)
    expect(stdout).toMatch(/^ {2}not JSON\s+1 {2}line 2 \(.+\)$/m)
    expect(stdout).toMatch(/^delivered\s+3$/m)
    expect(stderr).toContain('1 line(s) of the file not events')
    expect(code).toBe(1)
  })

  it('exits 2 for a truncated JSON array, with the line the file ends on and the summary of what it replayed', async () => {
    const text = JSON.stringify(events, null, 2)
    const truncated = text.slice(0, text.lastIndexOf('"ana@example.com"'))
    const { cwd, file } = directory({ 'truncated.json': truncated })
    const { code, stdout, stderr } = await complete(['replay', '--memory', file('truncated.json')], cwd)
    const lines = truncated.split('\n').length
    expect(stderr).toContain(
      `${file('truncated.json')}: truncated JSON array: the file ends at line ${lines} before the JSON array is closed.`
    )
    noStackTrace(stderr)
    expect(code).toBe(2)
    // What came before the cut was replayed, and the summary says so.
    expect(stdout).toMatch(/^read\s+2$/m)
    expect(stdout).toMatch(/^delivered\s+2$/m)
  })

  it('exits 2 for a JSON array broken in the middle, with the line', async () => {
    const lines = JSON.stringify(events, null, 2).split('\n')
    const at = lines.findIndex((line, i) => i > 20 && line.includes('"userId"'))
    lines[at] = lines[at].replace(/"user-[^"]+"/, 'oops')
    const { cwd, file } = directory({ 'broken.json': lines.join('\n') })
    const { code, stderr } = await complete(['replay', '--memory', file('broken.json')], cwd)
    expect(stderr).toContain(`${file('broken.json')}, line ${at + 1}: the JSON array stops being valid JSON`)
    noStackTrace(stderr)
    expect(code).toBe(2)
  })

  it.each([
    ['an empty file', 'empty.ndjson', '', (f: string) => `${f} is empty`],
    [
      'a first line that is not JSON',
      'broken.ndjson',
      `{"type": \n${ndjson(events)}`,
      (f: string) => `${f}, line 1: not JSON`
    ],
    [
      'a truncated JSON array',
      'truncated.json',
      JSON.stringify(events, null, 2).slice(0, 200),
      (f: string) => `${f}: truncated JSON array: the file ends at line`
    ]
  ])('check --sample: exits 2 for %s, naming the file', async (_, name, content, message) => {
    const { cwd, file } = directory({ [name]: content })
    const { code, stderr } = await complete(['check', '--sample', file(name)], cwd)
    expect(stderr).toContain(`The --sample file cannot be used: ${message(file(name))}`)
    noStackTrace(stderr)
    expect(code).toBe(2)
  })
})

describe('listrak-actions replay: the summary', () => {
  it('groups thousands of invalid lines by reason, with a count and the first lines, in a short table', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 2 === 0 ? JSON.stringify({ type: 'track', event: 'x' }) : `{bad json ${i}`
    )
    const { cwd, file } = directory({ 'bad.ndjson': lines.join('\n') + '\n' })
    const { code, stdout } = await complete(['replay', '--memory', file('bad.ndjson')], cwd)
    expect(stdout).toMatch(/^invalid\s+3000$/m)
    expect(stdout).toMatch(/^ {2}userId or anonymousId is required\s+1500 {2}lines 1, 3, 5, 7, 9, …$/m)
    expect(stdout).toMatch(/^ {2}not JSON\s+1500 {2}lines 2, 4, 6, 8, 10, … \(line 2: .+\)$/m)
    expect(stdout.split('\n').length).toBeLessThan(40)
    expect(code).toBe(1)
  })

  it("prints each list's contacts in the sandbox: how many, the first few, and the values they hold", async () => {
    const { code, stdout } = await complete(['replay', '--memory', trackEvents], directory().cwd)
    expect(stdout).toContain(
      [
        'Contacts in the sandbox after the replay:',
        '  list 12345 "Newsletter": 5 contact(s)',
        '    field 6789 my_audience: "on" 3, "off" 2',
        '    jane@example.com  {"6789":"on"}'
      ].join('\n')
    )
    expect(stdout).toContain('  list 67890 "Promotions": no contacts')
    expect(code).toBe(0)
  })

  it('--keep-sandbox keeps the sandbox up after the summary, and exits with the replay code on SIGTERM', async () => {
    const { cwd, file } = directory({ 'mid.ndjson': `${ndjson(events)}not json\n` })
    const { child, output } = await startCli(
      ['replay', '--memory', '--keep-sandbox', file('mid.ndjson')],
      /Press Ctrl\+C to stop it\./,
      { cwd, env: environment() }
    )
    try {
      const url = /^ {2}contacts: +(http:\/\/\S+\/_sandbox\/lists\/12345\/contacts)$/m.exec(output())?.[1] as string
      expect(url).toBeDefined()
      const contacts = (await (await fetch(url)).json()) as { contacts: { emailAddress: string }[] }
      expect(contacts.contacts.map((c) => c.emailAddress).sort()).toEqual([
        'ana@example.com',
        'jane@example.com',
        'john@example.com'
      ])
    } finally {
      child.kill('SIGTERM')
    }
    // The line that is not JSON makes the replay's code 1; the sandbox kept running does not change it.
    expect(await exited(child)).toEqual([1, null])
  })
})

describe('listrak-actions replay: email addresses', () => {
  it('delivers addresses with spaces around them, trimmed: exit 0, and the sandbox holds them trimmed', async () => {
    const padded = [
      audienceTrack(' padded@example.com ', 'my_audience', true),
      audienceTrack('trailing@example.com ', 'my_audience', true)
    ]
    const { cwd, file } = directory({ 'padded.ndjson': ndjson(padded) })
    const { code, stdout } = await complete(['replay', '--memory', file('padded.ndjson')], cwd)
    expect(stdout).toMatch(/^delivered\s+2$/m)
    expect(stdout).toMatch(/^dead-lettered\s+0$/m)
    expect(stdout).toContain('  list 12345 "Newsletter": 2 contact(s)')
    expect(stdout).toMatch(/^ {4}padded@example\.com {2,}\{"6789":"on"\}$/m)
    expect(stdout).toMatch(/^ {4}trailing@example\.com {2,}\{"6789":"on"\}$/m)
    expect(code).toBe(0)
  })
})

describe('listrak-actions replay --redis', () => {
  it('holds the file back while the queue in Redis delivers: 3 MB through a 1 MB queue, all delivered', async () => {
    const redis = await startRedisServer()
    try {
      const lines = Array.from({ length: 10_000 }, (_, i) =>
        JSON.stringify({
          ...audienceTrack(`user${i % 2000}@example.com`, 'my_audience', i % 3 !== 0),
          messageId: `replay-${i}`
        })
      )
      const config = {
        subscriptions: [
          {
            name: 'my_audience',
            subscribe: 'context.personas.computation_key = "my_audience"',
            partnerAction: 'updateEmailContactProfileFields',
            mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' }, enable_batching: true }
          }
        ],
        queue: { maxBytes: 1024 * 1024, redis: { url: redis.url, keyPrefix: '{replay-backpressure}' } }
      }
      const { cwd, file } = directory({
        'events.ndjson': lines.join('\n') + '\n',
        'config.json': JSON.stringify(config)
      })
      const { code, stdout, stderr } = await complete(
        ['replay', '--no-check', '--config', file('config.json'), '--redis', redis.url, file('events.ndjson')],
        cwd
      )
      expect(stderr).not.toContain('full')
      expect(stdout).toMatch(/^read\s+10000$/m)
      expect(stdout).toMatch(/^delivered\s+10000$/m)
      expect(stdout).not.toMatch(/^left in the queue/m)
      expect(code).toBe(0)
    } finally {
      await redis.stop()
    }
  }, 40_000)
})

describe('a dead letter whose reason names several problems', () => {
  const profileFields = path.join(root, 'examples', 'events', 'profile-fields.ndjson')
  const config = path.join(root, 'examples', 'config.profile-fields.json')
  /** The third event's reason: its `vip` and its birthday, both named. */
  const reason =
    'Profile Field Values: field 6790 ("vip_customers", a check box) takes "on" or "off", not "maybe"; field 7004 ' +
    '("birthday", a Date field) takes a date (YYYY-MM-DD, optionally with a time, or MM/DD/YYYY), not "1979-02-30".'
  /** The lines from the one that starts with `first` to the last of its wrapped continuation, indented deeper. */
  function wrapped(output: string, first: RegExp): string[] {
    const lines = output.split('\n')
    const start = lines.findIndex((line) => first.test(line))
    expect(start).toBeGreaterThan(-1)
    const end = lines.findIndex((line, i) => i > start && !/^ {4,}\S/.test(line))
    return lines.slice(start, end)
  }
  const words = (lines: string[]) => lines.join(' ').replace(/\s+/g, ' ')

  it('is shown whole, wrapped to 100 columns, in the replay summary and in dead-letters list', async () => {
    const { cwd } = directory()
    const replayed = await complete(['replay', '--no-check', '--config', config, profileFields], cwd)
    expect(replayed.code).toBe(1)
    const summary = wrapped(replayed.stdout, /^ {2}400 PAYLOAD_VALIDATION_FAILED\s+1 {2}e\.g\. /)
    expect(summary.length).toBeGreaterThan(1)
    expect(summary.every((line) => line.length <= 100)).toBe(true)
    expect(words(summary)).toMatch(new RegExp(`^ 400 PAYLOAD_VALIDATION_FAILED 1 e\\.g\\. ${escape(reason)}$`))

    const list = await complete(['dead-letters', 'list', '--config', config], cwd)
    expect(list.code).toBe(0)
    const byReason = wrapped(list.stdout, /^1\s+400\s+Profile Field Values:/)
    expect(byReason.every((line) => line.length <= 100)).toBe(true)
    expect(words(byReason)).toBe(`1 400 ${reason}`)
    const newest = wrapped(list.stdout, /^ {4}Profile Field Values:/)
    expect(newest.every((line) => line.length <= 100)).toBe(true)
    expect(words(newest)).toBe(` ${reason}`)
  })
})

describe('an event without the email its mapping reads', () => {
  it('is dead-lettered naming Email Address and $.traits.email, in dead-letters export and in the log', async () => {
    const config = path.join(root, 'examples', 'config.profile-fields.json')
    const { cwd, file } = directory({
      'no-email.ndjson': ndjson([
        { type: 'identify', userId: 'u1', messageId: 'no-email', traits: { loyalty_tier: 'Gold' } }
      ])
    })
    const reason = "Email Address is missing: nothing at $.traits.email (the subscription's mapping of emailAddress)."
    const replayed = await complete(['replay', '--no-check', '--config', config, file('no-email.ndjson')], cwd)
    expect(replayed.code).toBe(1)
    const log = replayed.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(log).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'events dead-lettered',
        events: 1,
        sampleMessageId: 'no-email',
        reason
      })
    ])
    const exported = await complete(['dead-letters', 'export', '--config', config], cwd)
    expect(exported.code).toBe(0)
    expect(JSON.parse(exported.stdout)).toMatchObject({ messageId: 'no-email', status: 400, listId: 12345, reason })
  })
})

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
