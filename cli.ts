#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander'
import { startSandbox } from './sandbox'
import { DEFAULT_FIXTURE } from './sandbox/fixture'

function number(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number')
  return n
}

function latency(value: string): number | [number, number] {
  const range = /^(\d+)-(\d+)$/.exec(value)
  if (range) return [Number(range[1]), Number(range[2])]
  return number(value)
}

const program = new Command('listrak-actions').description(
  'Listrak (Actions) for Segment: a local Listrak sandbox, and tools around the destination.'
)

program
  .command('sandbox')
  .description("Run a local stand-in for Listrak's token and Email API endpoints, with fault injection.")
  .option('--port <port>', 'port to listen on', number, 3001)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--fixture <file>', 'JSON fixture with credentials, lists and profile fields')
  .option('--token-ttl <seconds>', 'token lifetime', number, 3600)
  .option('--latency <ms>', 'added latency per request: a number, or a range like 10-50', latency)
  .option('--failure-rate <share>', 'share of requests that fail, 0 to 1', number)
  .option('--failure-status <status>', 'status of those failures: 429, 500, 502 or 503', number)
  .option('--drop-rate <share>', 'share of requests whose connection is closed without an answer', number)
  .option('--token-max-uses <n>', 'a token stops working after this many API requests', number)
  .option('--seed <n>', 'seed for the fault draws', number)
  .action(async (options) => {
    const faults = Object.fromEntries(
      Object.entries({
        latencyMs: options.latency,
        failureRate: options.failureRate,
        failureStatus: options.failureStatus,
        dropRate: options.dropRate,
        tokenMaxUses: options.tokenMaxUses,
        seed: options.seed
      }).filter(([, value]) => value !== undefined)
    )
    const sandbox = await startSandbox({
      port: options.port,
      host: options.host,
      fixture: options.fixture,
      tokenTtlSeconds: options.tokenTtl,
      faults
    })
    const credentials = options.fixture
      ? 'client ID and secret: as in your fixture'
      : `client ID ${DEFAULT_FIXTURE.credentials[0].clientId}, client secret ${DEFAULT_FIXTURE.credentials[0].clientSecret} (demo values)`
    console.log(
      [
        `Listrak sandbox listening on ${sandbox.url}`,
        `  LISTRAK_AUTH_URL=${sandbox.authUrl}`,
        `  LISTRAK_API_URL=${sandbox.apiUrl}`,
        `  ${credentials}`,
        `  contacts:  ${sandbox.url}/_sandbox/lists/12345/contacts`,
        `  imports:   ${sandbox.url}/_sandbox/imports`,
        `  requests:  ${sandbox.url}/_sandbox/requests`,
        `  faults:    ${sandbox.url}/_sandbox/faults ${JSON.stringify(sandbox.state.faults.current)}`,
        'Press Ctrl+C to stop.'
      ].join('\n')
    )
    const stop = async () => {
      await sandbox.stop()
      process.exit(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })

program.parseAsync().catch((error: Error) => {
  console.error(`listrak-actions: ${error.message}`)
  process.exit(1)
})
