import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { parseConfig } from '../../runtime/config'
import { connectListrak } from '../../runtime'
import { formatSummary, replayExitCode, replayFailures } from '../../runtime/commands/replay/summary'
import { replay } from '../../runtime/commands/replay'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { configFile } from './harness'

const dir = mkdtempSync(path.join(os.tmpdir(), 'replay-'))
const events = [
  audienceTrack('jane@example.com', 'my_audience', true),
  audienceIdentify('ana@example.com', 'my_audience', true),
  audienceTrack('john@example.com', 'my_audience', false)
]

function config(name = 'config.json') {
  const parsed = parseConfig(configFile(name), 'example', {})
  parsed.delivery.deadLetterFile = path.join(dir, 'dead.ndjson')
  parsed.queue.path = mkdtempSync(path.join(dir, 'queue-'))
  return parsed
}

const run = (file: string, configName?: string) =>
  replay(file, config(configName), { logger: pino({ level: 'silent' }), progress: 'none' })

describe('replay', () => {
  it.each([
    ['NDJSON', 'events.ndjson', events.map((e) => JSON.stringify(e)).join('\n') + '\n'],
    ['a JSON array', 'events.json', JSON.stringify(events, null, 2)],
    ['a { batch } document', 'batch.json', JSON.stringify({ batch: events }, null, 2)],
    ['a one-line { batch } document', 'batch-line.json', JSON.stringify({ batch: events })]
  ])('reads %s and delivers every event', async (_, name, content) => {
    const file = path.join(dir, name)
    writeFileSync(file, content)
    const summary = await run(file)
    expect(summary).toMatchObject({ read: 3, accepted: 3, matched: 3, delivered: 3, deadLettered: 0 })
    expect(summary.importsPerList).toEqual({ '12345': 1 })
  })

  it('counts lines that are not events by reason, and goes on', async () => {
    const file = path.join(dir, 'mixed.ndjson')
    writeFileSync(
      file,
      [
        JSON.stringify(events[0]),
        '{"type": ',
        JSON.stringify({ type: 'track', userId: 'u' }),
        '',
        JSON.stringify(events[2])
      ].join('\n')
    )
    const summary = await run(file)
    expect(summary).toMatchObject({ read: 4, accepted: 2, delivered: 2 })
    expect(summary.invalid).toEqual({
      count: 2,
      unit: 'line',
      reasons: [
        { reason: 'not JSON', count: 1, first: [2], example: expect.any(String) },
        { reason: expect.stringContaining('event'), count: 1, first: [3] }
      ]
    })
    const table = formatSummary(summary)
    expect(table).toMatch(/^read\s+4$/m)
    expect(table).toMatch(/^delivered\s+2$/m)
    expect(table).toMatch(/^imports, list 12345\s+1 \(2 events\)$/m)
  })

  it('replays the profile-fields example: Text, Numeric and Date traits delivered, a bad value refused alone', async () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'events', 'profile-fields.ndjson')
    const summary = await run(file, 'config.profile-fields.json')
    expect(summary).toMatchObject({ read: 3, accepted: 3, delivered: 2, deadLettered: 1 })
    expect(summary.importsPerList).toEqual({ '12345': 1 })
    expect(JSON.stringify(summary)).toContain(
      'field 6790 (\\"vip_customers\\", a check box) takes \\"on\\" or \\"off\\"'
    )
  })
})

describe('replay of contacts sent in list imports', () => {
  const signup = (email: string) => ({ type: 'identify', userId: email, messageId: `m-${email}`, traits: { email } })
  const file = path.join(dir, 'signups.ndjson')
  writeFileSync(
    file,
    ['a@example.com', 'b@example.com', 'banned@example.com'].map((e) => JSON.stringify(signup(e))).join('\n')
  )
  const bulkConfig = (imports: Record<string, number>, memory = false) => {
    const parsed = parseConfig(
      {
        subscriptions: [
          {
            name: 'signups',
            subscribe: 'type = "identify"',
            partnerAction: 'upsertContact',
            mapping: { listId: 12345, bulk_import: 'add_and_update', bulk_min_contacts: 2, enable_batching: true }
          }
        ],
        delivery: { flushIntervalMs: 20 },
        queue: { memory },
        imports: { firstPollMs: 50, maxPollMs: 100, ...imports }
      },
      'test',
      {}
    )
    parsed.delivery.deadLetterFile = path.join(mkdtempSync(path.join(dir, 'dead-')), 'dead.ndjson')
    parsed.queue.path = mkdtempSync(path.join(dir, 'queue-'))
    return parsed
  }
  /** Replays the file against the embedded sandbox, its list imports applied after `delayMs`. */
  async function replayWithDelay(config: ReturnType<typeof bulkConfig>, delayMs: number) {
    const listrak = await connectListrak(config)
    try {
      listrak.sandbox?.state.faults.set({ listImportDelayMs: delayMs })
      return await replay(file, config, { logger: pino({ level: 'silent' }), progress: 'none', listrak })
    } finally {
      await listrak.close()
    }
  }

  it('waits for the imports it started, and counts the refused addresses as failures', async () => {
    const summary = await replayWithDelay(bulkConfig({}), 300)
    expect(summary).toMatchObject({ delivered: 3, deadLettered: 0 })
    expect(summary.listImports).toMatchObject({ followed: 1, completed: 1, refusedRows: 1, pending: 0 })
    expect(replayFailures(summary)).toEqual([
      expect.stringMatching(/^1 event\(s\) sent in list imports dead-lettered once the imports' results were known/)
    ])
    expect(replayExitCode(summary)).toBe(1)
    const table = formatSummary(summary)
    expect(table).toMatch(/^list imports followed\s+1: 1 completed$/m)
    expect(table).toMatch(/^ {2}addresses refused\s+1 \(dead-lettered\)$/m)
  })

  it('says which imports are still pending after imports.replayWaitMs; in memory they are dead-lettered', async () => {
    const durable = await replayWithDelay(bulkConfig({ replayWaitMs: 300 }), 60_000)
    expect(durable.listImports).toMatchObject({ followed: 1, completed: 0, pending: 1, unknownRows: 0 })
    expect(formatSummary(durable)).toMatch(/^list imports followed\s+1: 0 completed, 1 still pending \(the next start/m)
    expect(replayExitCode(durable)).toBe(0)

    const memory = await replayWithDelay(bulkConfig({ replayWaitMs: 300 }, true), 60_000)
    expect(memory.listImports).toMatchObject({ pending: 0, unknownRows: 3 })
    expect(replayExitCode(memory)).toBe(1)
  })
})
