import { PorticoError } from '../errors.js';

/**
 * What a provider answer's body failing mid-read (a reset connection, an idle timeout) means
 * to our callers: the provider is unavailable, retry later. Our own errors pass unchanged.
 */
export function bodyReadError(err: unknown): PorticoError {
  if (err instanceof PorticoError) return err;
  const timedOut = (err as Error)?.name === 'TimeoutError';
  return new PorticoError(
    'provider_unavailable',
    timedOut
      ? 'The provider stopped sending its answer.'
      : 'The connection to the provider broke mid-answer.',
    { ...(timedOut ? { reason: 'upstream_timeout' as const } : {}), cause: err, retryAfter: 5 },
  );
}

/** Reads a JSON answer, tolerating an empty or non-JSON body (answers `undefined`). */
export async function readJson(res: Response): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw bodyReadError(err);
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
