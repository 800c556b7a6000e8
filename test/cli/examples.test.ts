import { execFile } from 'child_process'
import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'
import { CLI, exited, startCli } from './process'

/**
 * Each example config of the new actions with its events, as a user runs them without Listrak credentials:
 * `listrak-actions check` passes, and `listrak-actions replay` delivers every event to the embedded sandbox and
 * prints what the sandbox then holds.
 */

const run = promisify(execFile)
const examples = path.join(__dirname, '..', '..', 'examples')

/** This environment without Listrak settings, so that everything goes to the embedded sandbox. */
function environment(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL', 'PORT'])
    delete env[name]
  return env
}

/** Runs a command in a directory of its own (the durable queue's store lands there); its exit code and output. */
async function complete(args: string[]) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'examples-'))
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, env: environment() })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

const pairs: { config: string; events: string; check: RegExp[]; outcome: string[] }[] = [
  {
    config: 'config.upsert-contact.json',
    events: 'audience-entered.ndjson',
    check: [
      /ok\s+Create or Update Contact: the list exists$/m,
      /Engage Audiences › my_audience \(6789\)\s+ok\s+check box$/m,
      /Event › Welcome Series \(3001\)\s+ok\s+raised with each contact written$/m
    ],
    outcome: [
      '  list 12345 "Newsletter": 3 contact(s), 3 subscribed, 0 unsubscribed',
      '    field 6789 my_audience: "on" 3',
      '    field 7001 favorite_store: "Downtown" 1, "Uptown" 1',
      '    jane@example.com  {"6789":"on","7001":"Downtown"}  Subscribed, external ID user-jane, events 3001',
      '    john@example.com  {"6789":"on","7001":"Uptown"}  Subscribed, external ID user-john, events 3001',
      '    ana@example.com   {"6789":"on"}  Subscribed, external ID user-ana, events 3001'
    ]
  },
  {
    config: 'config.large-sync.json',
    events: 'track-audience.ndjson',
    check: [
      /ok\s+Create or Update Contact: the list exists$/m,
      /Engage Audiences › my_audience \(6789\)\s+ok\s+check box$/m
    ],
    // A handful of contacts is below the mapping's Bulk Import Threshold (100): they go one request each.
    outcome: [
      '  list 12345 "Newsletter": 5 contact(s), 5 subscribed, 0 unsubscribed',
      '    field 6789 my_audience: "on" 3, "off" 2',
      '    jane@example.com  {"6789":"on"}  Subscribed, external ID user-jane',
      '    li@example.com    {"6789":"on"}  Subscribed, external ID user-li'
    ]
  },
  {
    config: 'config.unsubscribe.json',
    events: 'unsubscribed.ndjson',
    check: [/ok\s+Unsubscribe Contact: the list exists$/m],
    // The sandbox starts empty: nobody is subscribed, so each unsubscribe is done already and creates no contact.
    outcome: ['  of which unchanged  2  ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS 2', '  list 12345 "Newsletter": no contacts']
  },
  {
    config: 'config.transactional.json',
    events: 'order-completed.ndjson',
    check: [
      /Transactional Message › Order Confirmation \(9001\)\s+ok\s+subject "Your order is confirmed"$/m,
      /Preferences › loyalty_points \(7003\)\s+ok\s+Numeric field; the value comes from each event$/m
    ],
    outcome: [
      'messages sent, list 12345  3',
      'Transactional messages sent in the sandbox: 3',
      '  list 12345, message 9001 "Order Confirmation": 3 sent to 3 recipient(s)',
      '    jane@example.com  1×  {"7001":"Downtown","7003":"85"}',
      '    john@example.com  1×  {"7001":"Uptown","7003":"20"}',
      '    ana@example.com   1×  {"7001":"Online","7003":"240"}'
    ]
  }
]

describe.each(pairs)('examples/$config with examples/events/$events', ({ config, events, check, outcome }) => {
  const configFile = path.join(examples, config)

  it('`listrak-actions check` passes', async () => {
    const { code, stdout } = await complete(['check', '--config', configFile])
    for (const row of check) expect(stdout).toMatch(row)
    expect(stdout).not.toMatch(/\s(error|fail)\s/)
    expect(code).toBe(0)
  })

  it('`listrak-actions replay` delivers every event and prints what the sandbox holds', async () => {
    const { code, stdout, stderr } = await complete([
      'replay',
      path.join(examples, 'events', events),
      '--config',
      configFile
    ])
    const read = Number(/^read\s+(\d+)$/m.exec(stdout)?.[1])
    expect(read).toBeGreaterThan(0)
    expect(stdout).toMatch(new RegExp(`^delivered\\s+${read}$`, 'm'))
    expect(stdout).toMatch(/^dead-lettered\s+0$/m)
    for (const line of outcome) expect(stdout.split('\n')).toContain(line)
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})

describe('serve with examples/config.transactional.json', () => {
  it('shows a curl that sends an Order Completed event, and where to see the message sent', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'examples-serve-'))
    const args = ['serve', '--config', path.join(examples, 'config.transactional.json'), '--port', '0', '--memory']
    const serve = await startCli(args, /^Stats: /m, { cwd, env: environment() })
    try {
      const output = serve.output()
      const curl = /^ {2}(curl -s http:\/\/\S+\/v1\/track .*)$/m.exec(output)?.[1] as string
      expect(curl).toContain('"event":"Order Completed"')
      const messages = /^Then see the message sent:\n {2}curl -s '(http:\/\/\S+\/_sandbox\/messages)'$/m.exec(
        output
      )?.[1]
      expect(messages).toBeDefined()
      // The banner's event, sent as its curl would send it, reaches the sandbox as one message.
      const body = /-d '(.*)'$/.exec(curl)?.[1] as string
      const url = /(http:\/\/\S+\/v1\/track)/.exec(curl)?.[1] as string
      const sent = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      expect(sent.status).toBe(200)
      let total = 0
      for (let i = 0; i < 100 && total === 0; i++) {
        total = ((await (await fetch(messages as string)).json()) as { total: number }).total
        if (total === 0) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(total).toBe(1)
    } finally {
      serve.child.kill('SIGINT')
      expect(await exited(serve.child)).toEqual([0, null])
    }
  })
})

describe('a config whose mappings do not fit their actions', () => {
  it('is refused by check and replay before anything starts, naming each subscription and key', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'examples-typo-')), 'config.json')
    writeFileSync(
      file,
      JSON.stringify({
        subscriptions: [
          {
            name: 'orders',
            subscribe: 'type = "track" and event = "Order Completed"',
            partnerAction: 'sendTransactionalMessage',
            mapping: { listId: 12345, transactionalMesageId: 9001 }
          },
          {
            name: 'signups',
            subscribe: 'type = "track"',
            partnerAction: 'upsertContact',
            mapping: { listId: 12345, subscriptionState: 'Maybe' }
          }
        ]
      })
    )
    const problems = [
      'subscriptions.0.mapping.transactionalMesageId: subscription "orders" (sendTransactionalMessage): Send ' +
        'Transactional Message has no field "transactionalMesageId"',
      'subscriptions.1.mapping.subscriptionState: subscription "signups" (upsertContact): Subscription State must be ' +
        'one of: "Subscribed" or "Unsubscribed".'
    ]
    const check = await complete(['check', '--config', file])
    for (const problem of problems) expect(check.stderr).toContain(problem)
    expect(check.stdout).not.toContain('sandbox')
    expect(check.code).toBe(1)
    const replay = await complete(['replay', path.join(examples, 'events', 'order-completed.ndjson'), '--config', file])
    for (const problem of problems) expect(replay.stderr).toContain(problem)
    expect(replay.code).toBe(2)
  })
})
