import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'fs'
import { once } from 'events'
import path from 'path'
import pino from 'pino'
import { parseConfig } from '../runtime/config'
import { replay } from '../runtime/commands/replay'
import { audienceEvents } from '../scripts/generate-events'
import { CACHE } from './peer'

const QUEUE = path.join(CACHE, 'replay-queue')
/**
 * Distinct contacts, whatever the number of events: the embedded sandbox keeps every contact it is sent, as
 * Listrak does, so more contacts would grow its memory and hide whether the pipeline's own stays flat (R1 against R2).
 */
const CONTACTS = 20_000

/** The runtime's replay of `events` events (R1: 200,000) against its embedded sandbox, in a process of its own. */
async function main() {
  const events = Number(process.argv[2])
  if (!Number.isInteger(events) || events < 1) throw new Error(`replay-child: bad event count ${process.argv[2]}`)
  // One file per count, kept between runs so that every run replays the same events.
  const file = path.join(CACHE, `replay-${events}-${CONTACTS}.ndjson`)
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true })
    // Written aside and renamed when complete, so an interrupted run leaves no truncated file to be reused.
    const out = createWriteStream(`${file}.partial`)
    for (const event of audienceEvents({
      count: events,
      users: Math.min(CONTACTS, events),
      audience: 'my_audience',
      identifyShare: 0.3,
      seed: 5
    })) {
      if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')
    renameSync(`${file}.partial`, file)
  }
  rmSync(QUEUE, { recursive: true, force: true })
  const config = parseConfig(
    {
      subscriptions: [
        {
          name: 'bench',
          subscribe: 'context.personas.computation_key = "my_audience"',
          partnerAction: 'updateEmailContactProfileFields',
          mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
        }
      ],
      delivery: { deadLetterFile: path.join(CACHE, 'replay-dead-letters.ndjson') },
      // The default, durable queue, in a store of its own that each run starts empty.
      queue: { path: QUEUE }
    },
    'bench',
    {}
  )
  const summary = await replay(file, config, { logger: pino({ level: 'warn' }), progress: 'none' })
  if (summary.delivered !== summary.read) throw new Error(`replay delivered ${summary.delivered} of ${summary.read}`)
  process.stdout.write(
    `${JSON.stringify({ events: summary.read, eventsPerSecond: summary.eventsPerSecond, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`
  )
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
