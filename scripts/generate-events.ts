import { Command } from 'commander'
import { createWriteStream } from 'fs'
import { once } from 'events'

export interface GeneratorOptions {
  count: number
  /** Distinct contacts; events cycle over them, so later events change earlier contacts' membership. */
  users: number
  audience: string
  /** Share of identify events (Engage user-property syncs); the rest are track events. */
  identifyShare: number
  seed: number
}

/** Engage audience events, Entered or Exited, reproducible under a seed. */
export function* audienceEvents(options: GeneratorOptions): Generator<Record<string, unknown>> {
  let state = options.seed >>> 0
  const random = () => {
    // xorshift32: enough to vary the events reproducibly.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 4294967296
  }
  const personas = {
    computation_key: options.audience,
    computation_class: 'audience',
    computation_id: 'aud_generated',
    space_id: 'spa_generated'
  }
  for (let i = 0; i < options.count; i++) {
    const user = Math.floor(random() * options.users)
    const email = `user${user}@example.com`
    const member = random() < 0.6
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()
    if (random() < options.identifyShare) {
      yield {
        type: 'identify',
        messageId: `gen-${options.seed}-${i}`,
        userId: `user-${user}`,
        timestamp,
        traits: { email, [options.audience]: member },
        context: { personas }
      }
    } else {
      yield {
        type: 'track',
        event: member ? 'Audience Entered' : 'Audience Exited',
        messageId: `gen-${options.seed}-${i}`,
        userId: `user-${user}`,
        timestamp,
        properties: { audience_key: options.audience, [options.audience]: member },
        context: { traits: { email }, personas }
      }
    }
  }
}

async function main() {
  const program = new Command('generate-events')
    .description('Write a file of synthetic Engage audience events, one JSON object per line.')
    .requiredOption('--out <file>', 'where to write the NDJSON file')
    .option('--count <n>', 'how many events', Number, 1000)
    .option('--users <n>', 'how many distinct contacts', Number, 100)
    .option('--audience <key>', 'the audience key', 'my_audience')
    .option('--identify-share <share>', 'share of identify events, 0 to 1', Number, 0.3)
    .option('--seed <n>', 'seed', Number, 1)
    .parse()
  const options = program.opts<GeneratorOptions & { out: string }>()
  const out = createWriteStream(options.out)
  for (const event of audienceEvents(options)) {
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  console.log(`wrote ${options.count} events to ${options.out}`)
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
