const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const MAX_SHOWN = 2000

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  return text.length > MAX_SHOWN ? `…${text.slice(-MAX_SHOWN)}` : text
}

export interface WaitOptions<T> {
  timeoutMs?: number
  intervalMs?: number
  /** How the failure shows the last value seen; JSON (the end of it) by default. */
  report?: (value: T) => string
}

/**
 * Polls `probe` until `done` holds for what it returns, and returns that value. When `timeoutMs` passes first it
 * fails, saying what it waited for and the last value it saw.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 5000, intervalMs = 20, report = show }: WaitOptions<T> = {}
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}; last seen: ${report(value)}`)
    await sleep(intervalMs)
  }
}
