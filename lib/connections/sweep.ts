import type { Services } from '../app/context.js';

export interface SweepResult {
  /** Index items read (grows with the due count, not the table). */
  read: number;
  refreshed: number;
  failed: number;
}

/**
 * Refreshes connections whose access tokens expire soon, found through the due-refresh index.
 * (Filled in by the OAuth work; the signature is stable for the scheduled Lambda.)
 */
export async function sweepDueConnections(
  _services: Services,
  _options: { now?: Date; maxItems?: number } = {},
): Promise<SweepResult> {
  return { read: 0, refreshed: 0, failed: 0 };
}
