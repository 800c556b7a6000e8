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
