import { mkdtempSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import pino from 'pino'
import { parseConfig } from '../../runtime/config'
import { formatSummary } from '../../runtime/commands/replay/summary'
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
