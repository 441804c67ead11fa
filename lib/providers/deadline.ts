// When the running Lambda invocation ends (functions/streaming.ts sets it from the context's
// getRemainingTimeInMillis()): one invocation at a time per container, so process-wide.
let deadline: number | undefined;

/**
 * Bounds every provider call's budget (waiting for headers, retries) by `at` (ms since the
 * epoch) until the next call, so that a call preceded by a refresh, or by anything else, never
 * outlives its invocation; `undefined` lifts the bound (the local server never sets one).
 */
export function setInvocationDeadline(at: number | undefined): void {
  deadline = at;
}

/** The bound {@link setInvocationDeadline} set last (ms since the epoch), if one is set. */
export function invocationDeadline(): number | undefined {
  return deadline;
}
