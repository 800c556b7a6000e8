import type { Logger as ActionsCoreLogger } from '@segment/actions-core'
import pino, { DestinationStream, Logger } from 'pino'

/**
 * The runtime's one logger: JSON lines. The runtime never hands it settings, tokens or request headers; the
 * redaction is a second guard should one ever slip into a log call.
 */
export function createLogger(destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'client_secret',
          '*.client_secret',
          'access_token',
          '*.access_token',
          'accessToken',
          '*.accessToken',
          'authorization',
          '*.authorization',
          '*.headers.authorization'
        ],
        censor: '[redacted]'
      }
    },
    destination
  )
}

/** The runtime's logger in the shape actions-core hands to a destination, so what the destination logs lands here. */
export function forDestination(logger: Logger): ActionsCoreLogger {
  const child = logger.child({ from: 'destination' })
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error' | 'fatal') =>
    (...message: string[]) =>
      child[level](message.join(' '))
  return {
    level: logger.level,
    name: 'listrak-actions',
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    crit: at('fatal'),
    log: at('info'),
    withTags: () => undefined
  }
}
