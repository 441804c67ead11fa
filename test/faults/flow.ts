import { locationOf, TestBrowser, walkConnect } from '../helpers/browser.js';
import type { Stack } from '../helpers/stack.js';

export const RETURN_URL = 'https://app.acme.test/done';

/**
 * Walks the web flow for one end user and answers where the callback sent the browser (the
 * returnUrl with `status`, `connectionId` or `error`).
 */
export async function connectVia(
  s: Pick<Stack, 'api'>,
  apiKey: string,
  provider: 'hubspot' | 'dropbox',
  endUserId: string,
  account = endUserId,
): Promise<URL> {
  const res = await s.api('POST', '/v1/connect-sessions', apiKey, {
    provider,
    endUserId,
    returnUrl: RETURN_URL,
  });
  if (res.status !== 201) throw new Error(`session: ${res.status} ${await res.text()}`);
  const { connectUrl } = (await res.json()) as { connectUrl: string };
  const { callback } = await walkConnect(new TestBrowser(), connectUrl, { account });
  return new URL(locationOf(callback));
}

/** Connects and answers the connection id, or throws with where the browser ended. */
export async function connected(
  s: Pick<Stack, 'api'>,
  apiKey: string,
  provider: 'hubspot' | 'dropbox',
  endUserId: string,
  account = endUserId,
): Promise<string> {
  const back = await connectVia(s, apiKey, provider, endUserId, account);
  const id = back.searchParams.get('connectionId');
  if (back.searchParams.get('status') !== 'connected' || !id) throw new Error(`not connected: ${back}`);
  return id;
}

/** The problem document of an answer, checking its media type. */
export async function problem(res: Response): Promise<{ status: number; code: string; detail: string }> {
  const type = res.headers.get('content-type');
  if (type !== 'application/problem+json') throw new Error(`not problem JSON (${type}): ${await res.text()}`);
  return (await res.json()) as { status: number; code: string; detail: string };
}

/** NDJSON lines of a finished stream. */
export async function ndjsonLines(res: Response): Promise<Array<Record<string, unknown>>> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
