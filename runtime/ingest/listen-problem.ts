import { ConfigError } from '../config'

/**
 * A listen that failed for a port in use, said so a user can act: which server, which address, what moves it.
 * Any other error is returned as it is.
 */
export function listenProblem(error: unknown, server: string, remedy: string): unknown {
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number }
  if (code !== 'EADDRINUSE') return error
  const where = address === undefined ? `port ${port}` : `${address}:${port}`
  return new ConfigError(`${server} cannot listen on ${where}: the port is in use (EADDRINUSE). ${remedy}`)
}
