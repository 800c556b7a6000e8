import { mkdtempSync, readFileSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { waitFor } from '../wait'
import { exited, startCli } from './process'

/**
 * What `serve` tells of the events it dead-letters, as a user sees it: the reason in the dead-letter file and at
 * warn level in its log, one line per delivery and reason, and a flood kept to a bounded number of lines.
 */

/** This environment without Listrak settings, so that `serve` delivers to the embedded sandbox. */
function environment(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['LISTRAK_CLIENT_ID', 'LISTRAK_CLIENT_SECRET', 'LISTRAK_AUTH_URL', 'LISTRAK_API_URL', 'PORT'])
    delete env[name]
  return env
}

const fields = { listId: 12345, profileFieldValues: { '6789': 'on' } }

/** `serve` in memory (its dead letters in a file of the directory it runs in) with these subscriptions. */
async function serve(subscriptions: unknown[]) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'serve-refusals-'))
  const file = path.join(cwd, 'config.json')
  writeFileSync(file, JSON.stringify({ subscriptions, delivery: { flushIntervalMs: 50 } }))
  const started = await startCli(['serve', '--config', file, '--port', '0', '--memory', '--no-check'], /^Stats:/m, {
    cwd,
    env: environment()
  })
  const url = /listening on (http:\/\/\S+)/.exec(started.output())?.[1] as string
  const post = async (batch: unknown[]) => {
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batch })
    })
    expect(response.status).toBe(200)
  }
  const deadLettered = async () =>
    ((await (await fetch(`${url}/stats`)).json()) as { deadLettered: number }).deadLettered
  const stop = async () => {
    started.child.kill('SIGINT')
    expect(await exited(started.child)).toEqual([0, null])
    return started.output()
  }
  return { cwd, post, deadLettered, stop, child: started.child }
}

/** The log's JSON lines at warn level. */
const warnings = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.level === 40)

const track = (messageId: string, email?: string) => ({
  type: 'track',
  event: 'Bought',
  userId: messageId,
  messageId,
  ...(email ? { context: { traits: { email } } } : {})
})
const identify = (messageId: string) => ({ type: 'identify', userId: messageId, messageId, traits: { plan: 'pro' } })

const DEFAULT_EMAIL_MISSING =
  "Email Address is missing: nothing at $.context.traits.email or $.traits.email (emailAddress, the action's " +
  'default; map emailAddress in the subscription to read it from elsewhere).'
const TRAITS_EMAIL_MISSING =
  "Email Address is missing: nothing at $.traits.email (the subscription's mapping of emailAddress)."

describe('listrak-actions serve: events dead-lettered', () => {
  it('names the missing field and the paths its mapping read, in the dead letter and in one warn line per reason', async () => {
    const { cwd, post, deadLettered, stop } = await serve([
      {
        name: 'tracks',
        subscribe: 'type = "track"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: fields
      },
      {
        name: 'identifies',
        subscribe: 'type = "identify"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: { ...fields, emailAddress: { '@path': '$.traits.email' } }
      }
    ])
    let output: string
    try {
      await post([track('t1'), track('t2', 'jane@example.com'), track('t3'), track('t4'), identify('i1')])
      await waitFor('4 dead letters', deadLettered, (n) => n === 4)
    } finally {
      output = await stop()
    }

    const letters = readFileSync(path.join(cwd, 'dead-letters.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messageId: string; reason: string })
      .map(({ messageId, reason }) => [messageId, reason])
      .sort()
    expect(letters).toEqual([
      ['i1', TRAITS_EMAIL_MISSING],
      ['t1', DEFAULT_EMAIL_MISSING],
      ['t3', DEFAULT_EMAIL_MISSING],
      ['t4', DEFAULT_EMAIL_MISSING]
    ])

    const refusals = warnings(output).filter((line) => line.msg === 'events dead-lettered')
    expect(refusals).toHaveLength(2)
    expect(refusals).toEqual(
      expect.arrayContaining([
        {
          level: 40,
          time: expect.any(Number),
          msg: 'events dead-lettered',
          subscription: 'tracks',
          action: 'updateEmailContactProfileFields',
          listId: 12345,
          status: 400,
          errortype: 'PAYLOAD_VALIDATION_FAILED',
          events: 3,
          sampleMessageId: 't1',
          reason: DEFAULT_EMAIL_MISSING
        },
        expect.objectContaining({ subscription: 'identifies', events: 1, reason: TRAITS_EMAIL_MISSING })
      ])
    )
    expect(output).not.toContain('demo-client-secret')
  })

  it('keeps a flood to 20 refusal lines and one line counting the rest: 500 events refused one by one', async () => {
    const { post, deadLettered, stop } = await serve([
      {
        name: 'one by one',
        subscribe: 'type = "track"',
        partnerAction: 'updateEmailContactProfileFields',
        mapping: { ...fields, enable_batching: false }
      }
    ])
    let output: string
    try {
      await post(Array.from({ length: 500 }, (_, i) => track(`m${i + 1}`)))
      await waitFor('500 dead letters', deadLettered, (n) => n === 500, { timeoutMs: 30_000 })
    } finally {
      output = await stop()
    }
    const lines = warnings(output)
    const refusals = lines.filter((line) => line.msg === 'events dead-lettered')
    expect(refusals).toHaveLength(20)
    expect(refusals.map((line) => line.sampleMessageId)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 1}`))
    expect(refusals.every((line) => line.events === 1 && line.reason === DEFAULT_EMAIL_MISSING)).toBe(true)
    const suppressed = lines.filter((line) => /more refusals suppressed/.test(String(line.msg)))
    expect(suppressed).toEqual([
      {
        level: 40,
        time: expect.any(Number),
        msg:
          '480 more refusals suppressed (over 20 lines in 10 s); every one is in the dead letters and counted in ' +
          '/stats',
        events: 480,
        reasons: [{ reason: DEFAULT_EMAIL_MISSING, events: 480 }],
        otherReasons: 0
      }
    ])
    expect(output).toContain('dead-lettered 500')
  })
})
