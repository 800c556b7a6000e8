#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander'
import { readFileSync } from 'fs'
import path from 'path'
import { ConfigError, hasCredentials, loadConfigFile, RuntimeConfig } from './runtime/config'
import { CheckFailedError, connectListrak, Runtime, startRuntime, StopFailedError } from './runtime'
import { checkConfig } from './runtime/commands/check'
import { formatCheck, isProblem } from './runtime/commands/check/rows'
import {
  exportDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  reconcileDeadLetters,
  retryDeadLetters,
  UnavailableCommandError
} from './runtime/commands/dead-letters'
import { listImports } from './runtime/commands/imports'
import { CONTACTS_WAIT, quickStart, shellQuote } from './runtime/commands/quick-start'
import { RedisQueue } from './runtime/queue/redis/queue'
import { Salvage, salvageStore, StoreDamagedError } from './runtime/queue/lmdb/store-check'
import { compileSubscriptions } from './runtime/pipeline/subscriptions'
import { createLogger } from './runtime/logger'
import { EventFileError } from './runtime/commands/event-file'
import { formatContacts, formatMessages } from './runtime/commands/replay/sandbox-contents'
import { formatSummary, replayExitCode, replayFailures } from './runtime/commands/replay/summary'
import { replay, ReplayStoppedError } from './runtime/commands/replay'
import { exposureProblem, exposureWarning } from './runtime/ingest/write-key'
import { listenProblem } from './runtime/ingest/listen-problem'
import { outputWidth } from './runtime/commands/wrap'
import { startSandbox } from './sandbox'
import { DEFAULT_FIXTURE } from './sandbox/fixture'
import { LISTRAK_URLS } from './src/api/urls'

/** The example configs shipped with the package, one folder above `dist/cli.js`. */
const EXAMPLES = path.join(__dirname, '..', 'examples')
/** The config `npm start` uses: one useAudienceKey mapping for list 12345. */
const EXAMPLE_CONFIG = path.join(EXAMPLES, 'config.json')

/** Every command's config, read one way: a file that is not there is named, with --config and the examples. */
const loadConfig = (file: string) => loadConfigFile(file, process.env, EXAMPLES)

function number(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number')
  return n
}

function latency(value: string): number | [number, number] {
  const range = /^(\d+)-(\d+)$/.exec(value)
  if (!range) return number(value)
  const [low, high] = [Number(range[1]), Number(range[2])]
  if (low > high) throw new InvalidArgumentError(`expected a range low-high with low at most high, e.g. ${high}-${low}`)
  return [low, high]
}

function positiveInteger(value: string): number {
  const n = number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1')
  return n
}

/** The statuses the sandbox can fail requests with, as its faults allow. */
const FAILURE_STATUSES = [429, 500, 502, 503]

function failureStatus(value: string): number {
  const n = Number(value)
  if (!FAILURE_STATUSES.includes(n)) throw new InvalidArgumentError(`expected one of ${FAILURE_STATUSES.join(', ')}`)
  return n
}

function port(value: string): number {
  const n = number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number')
  return n
}

function portFromEnvironment(value: string): number {
  try {
    return port(value)
  } catch (error) {
    throw new ConfigError(`PORT=${JSON.stringify(value)}: ${(error as Error).message} from 0 to 65535.`)
  }
}

/** `serve --help`'s last words: the environment it reads, and the one order every setting follows. */
const SERVE_ENVIRONMENT_HELP = `
Environment:
  LISTRAK_CLIENT_ID      API client ID, over the config's settings.client_id
  LISTRAK_CLIENT_SECRET  API client secret, over the config's settings.client_secret
  LISTRAK_AUTH_URL       Listrak's token URL, over the config's listrak.authUrl
                         (default ${LISTRAK_URLS.auth})
  LISTRAK_API_URL        Listrak's Email API URL, over the config's listrak.apiUrl
                         (default ${LISTRAK_URLS.api})
  PORT                   the runtime's port, over the config's ingest.port (default 3000)

Each setting is taken from the first of: the command-line option, the environment, the config file, the default.
Without credentials from either, the embedded sandbox stands in for Listrak, at its own URLs.`

const MEMORY_OPTION =
  'keep the queue in memory only (tests, demos): accepted events not yet delivered are lost if the process dies'

function redisUrl(value: string): string {
  if (!/^rediss?:\/\/./.test(value)) throw new InvalidArgumentError('expected a redis:// or rediss:// URL')
  return value
}

/** `--redis <url>`, which conflicts with `--memory`; either one takes the place of the config's queue. */
const redisOption = () =>
  new Option(
    '--redis <url>',
    'keep the queue in Redis Streams, shared by every runtime given the same Redis (queue.redis.url)'
  )
    .argParser(redisUrl)
    .conflicts('memory')

function applyQueueOptions(config: RuntimeConfig, options: { memory?: boolean; redis?: string }): void {
  if (options.memory) {
    config.queue.memory = true
    delete config.queue.redis
  }
  if (options.redis) {
    config.queue.memory = false
    config.queue.redis = { ...config.queue.redis, url: options.redis }
  }
}

function queueLines(runtime: Runtime, config: RuntimeConfig): string[] {
  if (runtime.queue instanceof RedisQueue) {
    const lines = [
      `Queue: shared, in Redis at ${runtime.queue.location}, with every runtime using it (an event is stored in ` +
        `Redis before it is acknowledged; any of them may deliver it).`
    ]
    if (!runtime.queue.aof) {
      lines.push(
        "WARNING: Redis' append-only file is off (appendonly no): should Redis restart, it keeps only its last " +
          'snapshot, and events acknowledged since are lost. Set appendonly yes on that Redis.'
      )
    }
    return lines
  }
  return [queueLine(runtime, config)]
}

function queueLine(runtime: Runtime, config: RuntimeConfig): string {
  if (!runtime.queue.durable) {
    return (
      'Queue: in memory (--memory or queue.memory): events accepted but not yet delivered are LOST if the process dies; ' +
      `dead letters go to ${config.delivery.deadLetterFile}.`
    )
  }
  const resumed = runtime.resumed ? `; ${runtime.resumed} event(s) from the last run resumed` : ''
  return `Queue: durable, in ${runtime.queue.location} (an event is stored before it is acknowledged)${resumed}.`
}

/** `where` says where to find the dead letters; `failed`: the stop failed, and its error was printed before. */
function stopSummary(
  summary: Awaited<ReturnType<Runtime['stop']>>,
  runtime: Runtime,
  where: string,
  failed = false
): string {
  const how = [
    ...(summary.interrupted ? ['drain cut short by a second signal'] : []),
    ...(failed ? ['not cleanly: see the error above'] : [])
  ]
  const parts = [
    `Stopped${how.length > 0 ? ` (${how.join('; ')})` : ''}. accepted ${summary.accepted}`,
    `matched ${summary.matched}`,
    `delivered ${summary.delivered}`,
    `refused ${summary.refused}`,
    `retried ${summary.retried}`,
    `dead-lettered ${summary.deadLettered}${summary.deadLettered ? ` (see ${where})` : ''}`
  ]
  if (summary.resumed) parts.push(`resumed from the last run ${summary.resumed}`)
  if (summary.duplicates) parts.push(`duplicates not queued again ${summary.duplicates}`)
  if (summary.storeErrors) parts.push(`store write errors ${summary.storeErrors}`)
  if (runtime.queue.durable && summary.queueDepth) {
    parts.push(
      runtime.queue.shared
        ? `left in Redis for the other runtimes (or the next start) ${summary.queueDepth}`
        : `left in the queue store for the next start ${summary.queueDepth}`
    )
  }
  if (summary.lost) parts.push(`LOST (in memory, could not be dead-lettered) ${summary.lost}`)
  return parts.join(', ')
}

/** This package's manifest, one folder above `dist/cli.js`. */
const MANIFEST = path.join(__dirname, '..', 'package.json')

const program = new Command('listrak-actions')
  .description(
    'Listrak (Actions) for Segment: a local runtime that delivers Segment events to Listrak, a replay command and a Listrak sandbox.'
  )
  .version((JSON.parse(readFileSync(MANIFEST, 'utf8')) as { version: string }).version)

program
  .command('serve')
  .description(
    "Receive Segment events over HTTP (Segment's Tracking API), match them against subscriptions and deliver them to Listrak. " +
      'Without Listrak credentials it starts the embedded sandbox and delivers there.'
  )
  .option('--config <file>', 'runtime config (JSON)', EXAMPLE_CONFIG)
  .option('--host <host>', 'address to bind (default: the config, else 127.0.0.1)')
  .option('--port <port>', 'port to listen on (default: PORT, the config, else 3000)', port)
  .option('--sandbox-port <port>', "the embedded sandbox's port (default: the runtime's port + 1)", port)
  .option('--no-check', 'skip the check of the config against the Listrak account at start')
  .option('--memory', MEMORY_OPTION)
  .addOption(redisOption())
  .option(
    '--allow-unauthenticated',
    'serve on an address other machines can reach without a write key (when something in front authenticates)'
  )
  .addHelpText('after', SERVE_ENVIRONMENT_HELP)
  .action(async (options) => {
    const config = loadConfig(options.config)
    if (options.host) config.ingest.host = options.host
    if (options.allowUnauthenticated) config.ingest.allowUnauthenticated = true
    applyQueueOptions(config, options)
    const envPort = process.env.PORT ? portFromEnvironment(process.env.PORT) : undefined
    config.ingest.port = options.port ?? envPort ?? config.ingest.port
    // Before anything starts: the runtime refuses too, but only after the sandbox and the config check.
    const exposure = exposureProblem(config.ingest)
    if (exposure) throw new ConfigError(exposure)
    const runtime = await startRuntime(config, { sandboxPort: options.sandboxPort, check: options.check })
    const lines = [`Listrak (Actions) runtime listening on ${runtime.url} (config ${options.config})`]
    const warning = exposureWarning(config.ingest)
    if (warning) lines.push(warning)
    if (runtime.sandbox) {
      lines.push(
        `No Listrak credentials configured (settings.client_id/client_secret or LISTRAK_CLIENT_ID/LISTRAK_CLIENT_SECRET):`,
        `delivering to the embedded Listrak sandbox at ${runtime.sandbox.url} with its demo credentials.`
      )
    } else {
      lines.push(`Delivering to Listrak at ${runtime.urls.apiUrl} (tokens from ${runtime.urls.authUrl}).`)
    }
    if (runtime.check)
      lines.push(
        'Config check:',
        ...formatCheck(runtime.check)
          .split('\n')
          .map((l) => `  ${l}`)
      )
    lines.push(...queueLines(runtime, config))
    const example = quickStart(runtime.url, config)
    lines.push(...example.lines)
    if (runtime.sandbox && example.partnerAction === 'sendTransactionalMessage') {
      lines.push('Then see the message sent:', `  curl -s ${shellQuote(`${runtime.sandbox.url}/_sandbox/messages`)}`)
    } else if (runtime.sandbox && example.listId !== undefined) {
      // ?wait= holds the answer until the runtime's first import lands, so both curls can be pasted at once.
      const detail = example.partnerAction === 'updateEmailContactProfileFields' ? '' : '&detail=full'
      const contacts = `${runtime.sandbox.url}/_sandbox/lists/${example.listId}/contacts?wait=${CONTACTS_WAIT}${detail}`
      lines.push(`Then see the contact in list ${example.listId}:`, `  curl -s ${shellQuote(contacts)}`)
    }
    const deadLetters = runtime.queue.durable
      ? `listrak-actions dead-letters list --config ${options.config}${options.redis ? ' --redis <url>' : ''}`
      : config.delivery.deadLetterFile
    lines.push(
      `Stats: ${runtime.url}/stats   Health: ${runtime.url}/health (ready: ${runtime.url}/health/ready)   ` +
        `Dead letters: ${deadLetters}`
    )

    // The first signal drains for up to delivery.shutdownTimeoutMs; a second one cuts the drain short. Either
    // way the summary is printed.
    let stopping = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        runtime.logger.warn(
          { signal },
          runtime.queue.shared
            ? 'second signal: stopping now; what is not delivered stays in Redis for the other runtimes'
            : runtime.queue.durable
              ? 'second signal: stopping now; what is not delivered stays in the queue store for the next start'
              : 'second signal: stopping now; what is not delivered is dead-lettered'
        )
        runtime.interrupt()
        return
      }
      stopping = true
      runtime.logger.info({ signal }, 'stopping: no new events; delivering what was accepted')
      void runtime.stop().then(
        (summary) => {
          console.log(stopSummary(summary, runtime, deadLetters))
          process.exit(0)
        },
        (error: Error) => {
          console.error(`listrak-actions: the stop failed: ${error.message}`)
          // Only a drain that ended knows whether a second signal cut it short.
          const interrupted = error instanceof StopFailedError && error.drained.interrupted
          const summary = { ...runtime.stats.toJSON(runtime.pipeline.depth), interrupted }
          console.log(stopSummary(summary, runtime, deadLetters, true))
          process.exit(1)
        }
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // Printed only once the handlers are in place: whoever reads the banner may signal at once.
    console.log(lines.join('\n'))
  })

program
  .command('check')
  .description(
    'Check a config against the Listrak account: credentials, lists, that every mapped profile field (or merge value) exists and ' +
      'takes its value, and that every Event ID and transactional message exists on its list. Exits non-zero when anything is wrong.'
  )
  .option('--config <file>', 'runtime config (JSON)', EXAMPLE_CONFIG)
  .option(
    '--sample <file>',
    'Segment events whose audience keys to match against the lists (NDJSON, JSON array or batch)'
  )
  .action(async (options) => {
    const config = loadConfig(options.config)
    // A subscription's FQL and mapping are refused before the embedded sandbox starts.
    compileSubscriptions(config)
    const parts = await connectListrak(config)
    try {
      if (parts.sandbox) console.log(`No Listrak credentials configured: checking against the embedded sandbox.`)
      const rows = await checkConfig(config, parts.settings, options.sample)
      console.log(formatCheck(rows))
      process.exitCode = rows.some(isProblem) ? 1 : 0
    } catch (error) {
      if (!(error instanceof EventFileError)) throw error
      // A sample that cannot be read checked nothing: a usage error (2), not a config that does not fit (1).
      console.error(`The --sample file cannot be used: ${error.message}`)
      process.exitCode = 2
    } finally {
      await parts.close()
    }
  })

const REPLAY_EXIT_CODES = `
Exit codes:
  0  every event that matched a subscription was delivered, and every line of
     the file was an event
  1  an event was dead-lettered (refused by Listrak, or failed every attempt)
     or left undelivered, or a line of the file was not an event;
     --allow-failures exits 0 for these
  2  the replay could not go through the file: a usage or config error, a
     failing config check (--no-check skips it), a file that cannot be read or
     parsed (empty, a first line that is not JSON, a truncated JSON array), or
     a queue that stopped taking events`

/** Keeps the embedded sandbox up after a replay, for a look at its contacts, until Ctrl+C or SIGTERM. */
async function keepSandbox(url: string, listIds: number[]): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    // Printed once the handlers are in place: whoever reads this may signal at once.
    console.log(
      [
        `The embedded sandbox keeps running at ${url} (--keep-sandbox):`,
        ...listIds.map((id) => `  contacts:     ${url}/_sandbox/lists/${id}/contacts`),
        `  imports:      ${url}/_sandbox/imports`,
        `  list imports: ${url}/_sandbox/list-imports`,
        `  messages:     ${url}/_sandbox/messages`,
        'Press Ctrl+C to stop it.'
      ].join('\n')
    )
  })
}

program
  .command('replay <file>')
  .description(
    'Stream a file of Segment events (NDJSON, a JSON array or { "batch": [...] }) through the same pipeline as serve, then print a summary. ' +
      'Checks the config against the Listrak account first, as serve does. Without Listrak credentials it delivers to the embedded ' +
      "sandbox and prints each list's contacts."
  )
  .option('--config <file>', 'runtime config (JSON)', EXAMPLE_CONFIG)
  .option('--no-check', 'skip the check of the config against the Listrak account before the replay')
  .option(
    '--allow-failures',
    'exit 0 even when events were dead-lettered or lines were not events (exploring a file); errors still exit 2'
  )
  .option(
    '--keep-sandbox',
    'keep the embedded sandbox (used without Listrak credentials) running after the summary, until Ctrl+C'
  )
  .option('--verbose', 'log every delivery')
  .option('--memory', MEMORY_OPTION)
  .addOption(redisOption())
  .addHelpText('after', REPLAY_EXIT_CODES)
  // A usage error stops a replay from running as a config error does: 2, which scripts tell from failed events.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (file: string, options) => {
    try {
      const config = loadConfig(options.config)
      applyQueueOptions(config, options)
      compileSubscriptions(config)
      // Made here rather than by the replay, so that the sandbox can outlive it (--keep-sandbox).
      const listrak = await connectListrak(config)
      try {
        const summary = await replay(file, config, {
          logger: createLogger(process.stderr, options.verbose ? 'info' : 'warn'),
          progress: process.stdout.isTTY ? 'bar' : 'lines',
          check: options.check,
          listrak
        })
        const lines = []
        if (listrak.sandbox) {
          const url = listrak.sandbox.url
          lines.push(`No Listrak credentials configured: the events went to the embedded sandbox at ${url}.`)
        }
        lines.push(formatSummary(summary, outputWidth()))
        if (summary.contacts) lines.push(formatContacts(summary.contacts))
        if (summary.messages?.total) lines.push(formatMessages(summary.messages))
        console.log(lines.join('\n'))
        const failures = replayFailures(summary)
        if (failures.length > 0) {
          const exit = options.allowFailures ? 'exit 0 (--allow-failures)' : 'exit 1'
          console.error(`Not everything went through, ${exit}: ${failures.join('; ')}.`)
        }
        process.exitCode = replayExitCode(summary, { allowFailures: options.allowFailures })
        if (options.keepSandbox && listrak.sandbox) {
          await keepSandbox(listrak.sandbox.url, summary.contacts?.map((list) => list.listId) ?? [])
        } else if (options.keepSandbox && hasCredentials(config)) {
          console.error('--keep-sandbox: there is no sandbox to keep, Listrak credentials are configured.')
        }
      } finally {
        await listrak.close()
      }
    } catch (error) {
      if (error instanceof ReplayStoppedError) console.log(formatSummary(error.summary, outputWidth()))
      const known =
        error instanceof ConfigError ||
        error instanceof CheckFailedError ||
        error instanceof EventFileError ||
        error instanceof ReplayStoppedError ||
        error instanceof StoreDamagedError
      console.error(known ? (error as Error).message : `listrak-actions: ${(error as Error).message}`)
      process.exitCode = 2
    }
  })

program
  .command('sandbox')
  .description("Run a local stand-in for Listrak's token and Email API endpoints, with fault injection.")
  .option('--port <port>', 'port to listen on', port, 3001)
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--fixture <file>', 'JSON fixture with credentials, lists and profile fields')
  .option('--token-ttl <seconds>', 'token lifetime', positiveInteger, 3600)
  .option('--latency <ms>', 'added latency per request: a number, or a range like 10-50', latency)
  .option('--failure-rate <share>', 'share of requests that fail, 0 to 1', number)
  .option('--failure-status <status>', 'status of those failures: 429, 500, 502 or 503', failureStatus)
  .option('--drop-rate <share>', 'share of requests whose connection is closed without an answer', number)
  .option(
    '--drop-after-rate <share>',
    'share of requests processed (contact written, message sent), then closed without an answer',
    number
  )
  .option('--token-max-uses <n>', 'a token stops working after this many API requests', number)
  .option('--activity-lag <ms>', "how long a message sent takes to show in its message's activity", number)
  .option('--list-import-delay <ms>', 'how long a list import stays queued before its rows are applied', number)
  .option('--seed <n>', 'seed for the fault draws', number)
  .action(async (options) => {
    const faults = Object.fromEntries(
      Object.entries({
        latencyMs: options.latency,
        failureRate: options.failureRate,
        failureStatus: options.failureStatus,
        dropRate: options.dropRate,
        dropAfterRate: options.dropAfterRate,
        tokenMaxUses: options.tokenMaxUses,
        activityLagMs: options.activityLag,
        listImportDelayMs: options.listImportDelay,
        seed: options.seed
      }).filter(([, value]) => value !== undefined)
    )
    const sandbox = await startSandbox({
      port: options.port,
      host: options.host,
      fixture: options.fixture,
      tokenTtlSeconds: options.tokenTtl,
      faults
    }).catch((error: unknown) => {
      throw listenProblem(
        error,
        'The Listrak sandbox',
        'Give it another with --port (0 picks a free one), or stop what holds that port.'
      )
    })
    const credentials = options.fixture
      ? 'client ID and secret: as in your fixture'
      : `client ID ${DEFAULT_FIXTURE.credentials[0].clientId}, client secret ${DEFAULT_FIXTURE.credentials[0].clientSecret} (demo values)`
    const stop = async () => {
      await sandbox.stop()
      process.exit(0)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    // Printed once the handlers are in place: whoever reads the banner may signal at once.
    console.log(
      [
        `Listrak sandbox listening on ${sandbox.url}`,
        `  LISTRAK_AUTH_URL=${sandbox.authUrl}`,
        `  LISTRAK_API_URL=${sandbox.apiUrl}`,
        `  ${credentials}`,
        `  contacts:     ${sandbox.url}/_sandbox/lists/12345/contacts`,
        `  imports:      ${sandbox.url}/_sandbox/imports`,
        `  list imports: ${sandbox.url}/_sandbox/list-imports`,
        `  requests:     ${sandbox.url}/_sandbox/requests`,
        `  faults:       ${sandbox.url}/_sandbox/faults ${JSON.stringify(sandbox.state.faults.current)}`,
        'Press Ctrl+C to stop.'
      ].join('\n')
    )
  })

const deadLetters = program
  .command('dead-letters')
  .description(
    "Inspect and act on the dead letters in the runtime's queue store: events that were refused or kept failing."
  )

/** The filters every dead-letters subcommand takes. */
function filtered(command: Command): Command {
  return command
    .option('--config <file>', 'runtime config (JSON): where the queue is (queue.path, or queue.redis)', EXAMPLE_CONFIG)
    .addOption(new Option('--redis <url>', 'the dead letters of the queue in this Redis').argParser(redisUrl))
    .option('--reason <text>', 'only dead letters whose reason contains this text (case-insensitive)')
    .option('--list <id>', 'only dead letters for this Listrak list', (value) => {
      const n = number(value)
      if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a list ID')
      return n
    })
}

const filterOf = (options: { reason?: string; list?: number }) => ({ reason: options.reason, listId: options.list })

/** The config of a dead-letters subcommand, with `--redis`. */
function deadLettersConfig(options: { config: string; redis?: string }): RuntimeConfig {
  const config = loadConfig(options.config)
  applyQueueOptions(config, options)
  return config
}

filtered(deadLetters.command('list'))
  .description('Count the dead letters by reason and show the newest. Works while the runtime runs.')
  .option('--limit <n>', 'newest rows to show', number, 20)
  .action(async (options) => {
    console.log(await listDeadLetters(deadLettersConfig(options), filterOf(options), options.limit, outputWidth()))
  })

filtered(deadLetters.command('export'))
  .description('Write the dead letters as NDJSON, oldest first, with the events. Works while the runtime runs.')
  .option('--out <file>', 'write to this file (created readable by its owner only) instead of standard output')
  .action(async (options) => {
    const count = await exportDeadLetters(deadLettersConfig(options), filterOf(options), options.out)
    console.error(`Exported ${count} dead letter(s)${options.out ? ` to ${options.out}` : ''}.`)
  })

filtered(deadLetters.command('retry'))
  .description(
    'Put the dead letters back in the queue; the runtime delivers them when it next starts. Stop the runtime first. ' +
      'Messages of unknown outcome stay until reconciled as not sent; exits 1 when it kept any.'
  )
  .option('--force', 'send messages of unknown outcome without reconciling them: someone may get a message twice')
  .action(async (options) => {
    const { text, refused } = await retryDeadLetters(deadLettersConfig(options), filterOf(options), {
      force: options.force === true
    })
    console.log(text)
    if (refused > 0) process.exitCode = 1
  })

filtered(deadLetters.command('reconcile'))
  .description(
    "Settle the transactional messages of unknown outcome from Listrak's activity: sent (never sent again) or not " +
      'sent (retry sends them). Works while the runtime runs; exits 1 when any could not be settled or checked.'
  )
  .action(async (options) => {
    const { text, unsettled } = await reconcileDeadLetters(deadLettersConfig(options), filterOf(options))
    console.log(text)
    if (unsettled > 0) process.exitCode = 1
  })

filtered(deadLetters.command('purge'))
  .description('Remove the dead letters (asks nothing) and print what was removed.')
  .action(async (options) => {
    console.log(await purgeDeadLetters(deadLettersConfig(options), filterOf(options), outputWidth()))
  })

program
  .command('imports')
  .description(
    'List the list imports the runtime follows up (Listrak applies them later, and says per address whether it took ' +
      'it) and the last 100 finished, with the addresses Listrak refused. Works while the runtime runs.'
  )
  .option('--config <file>', 'runtime config (JSON): where the queue is (queue.path, or queue.redis)', EXAMPLE_CONFIG)
  .addOption(
    new Option('--store <dir>', "the queue store's directory, over the config's queue.path").conflicts('redis')
  )
  .addOption(new Option('--redis <url>', 'the list imports of the queue in this Redis').argParser(redisUrl))
  .action(async (options: { config: string; store?: string; redis?: string }) => {
    const config = loadConfig(options.config)
    applyQueueOptions(config, options)
    if (options.store) {
      config.queue.path = path.resolve(options.store)
      config.queue.memory = false
      delete config.queue.redis
    }
    console.log(await listImports(config))
  })

function salvageSummary({ saved, complete, stopped, unknown }: Salvage, store: string, out: string): string {
  const lines = [
    `Saved ${saved} event(s) from ${store} to ${out}; ` +
      (complete
        ? 'the walk completed: every queued event is in the file.'
        : `the walk stopped early (${stopped}): the events past the damage could not be read.`)
  ]
  if (unknown) {
    lines.push(
      `Left out ${unknown} event(s) of at-most-once actions whose delivery was under way: whether they went is unknown.`
    )
  }
  lines.push(`Replay them into a new store with: listrak-actions replay ${out} --config <your config>`)
  return lines.join('\n')
}

program
  .command('store')
  .description('Work on a queue store the runtime refuses to open.')
  .command('salvage')
  .description(
    'Write the queued events that can still be read from a queue store, damaged or not, to a file of Segment events ' +
      '(NDJSON, in the order they were accepted) that replay takes. The store is read in a child process, so damage ' +
      'that kills the reader leaves what it read so far. Exits 0 when every event was read, 1 when the walk stopped early.'
  )
  .requiredOption('--store <dir>', 'the queue store: its directory (queue.path in the config)')
  .requiredOption('--out <file>', 'the file to write (created readable by its owner only; it must not exist)')
  .action((options: { store: string; out: string }) => {
    const result = salvageStore(path.resolve(options.store), options.out)
    console.log(salvageSummary(result, path.resolve(options.store), options.out))
    process.exitCode = result.complete ? 0 : 1
  })

program.parseAsync().catch((error: Error) => {
  const known = error instanceof ConfigError || error instanceof CheckFailedError || error instanceof StoreDamagedError
  console.error(known ? error.message : `listrak-actions: ${error.message}`)
  process.exit(error instanceof UnavailableCommandError || error instanceof StoreDamagedError ? error.exitCode : 1)
})
