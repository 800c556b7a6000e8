import { createWriteStream, existsSync, mkdirSync } from 'fs'
import { once } from 'events'
import path from 'path'
import pino from 'pino'
import { parseConfig } from '../runtime/config'
import { replay } from '../runtime/replay'
import { audienceEvents } from '../scripts/generate-events'
import { CACHE } from './peer'

/** The runtime's replay of 200,000 events against its embedded sandbox, in a process of its own. */
async function main() {
  const file = path.join(CACHE, 'replay-200k.ndjson')
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true })
    const out = createWriteStream(file)
    for (const event of audienceEvents({
      count: 200_000,
      users: 20_000,
      audience: 'my_audience',
      identifyShare: 0.3,
      seed: 5
    })) {
      if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')
  }
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
      delivery: { deadLetterFile: path.join(CACHE, 'replay-dead-letters.ndjson') }
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
