/** Where the pipeline is in its life, and what it holds: shared by its parts (intake, lanes, settling, drain). */
export class PipelineState {
  /** Unsettled (event, subscription) pairs: in memory, in flight, or in the store. */
  queued = 0
  /** Deliveries wait for `resume()`, so that a start that fails (the config check, the port) delivers nothing. */
  started = false
  draining = false
  /** Partial batches go at once: the drain has begun. */
  flushing = false
  /** Past the shutdown deadline: no more deliveries or retries. */
  stopped = false
  /** Nothing more is recorded: the queue is being closed. */
  finished = false
}
