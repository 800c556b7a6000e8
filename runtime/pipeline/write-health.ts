/**
 * How long a failed write of the queue keeps the runtime not ready when nothing has been written since. A runtime
 * out of rotation gets no events to prove its store works again: without an end, one that recovered would stay
 * out for good.
 */
export const WRITE_FAILURE_HOLD_MS = 5000

/** The outcome of the queue's last write (an event stored, a delivery's outcome recorded), for readiness. */
export class WriteHealth {
  private failure?: { at: number; message: string }

  failed(error: Error): void {
    this.failure = { at: Date.now(), message: error.message }
  }

  succeeded(): void {
    this.failure = undefined
  }

  /** Why the queue cannot take writes, when its last one failed less than WRITE_FAILURE_HOLD_MS ago. */
  problem(): string | undefined {
    if (!this.failure) return undefined
    const ago = Date.now() - this.failure.at
    if (ago >= WRITE_FAILURE_HOLD_MS) return undefined
    return `the queue's last write failed ${(ago / 1000).toFixed(1)} s ago: ${this.failure.message}`
  }
}
