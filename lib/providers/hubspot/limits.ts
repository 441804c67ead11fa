import { readJson } from '../read.js';

/**
 * Whether an answer is HubSpot's DAILY rate limit, which no retry within a request's budget can
 * clear (the burst limit, `TEN_SECONDLY_ROLLING`, can). Reads a clone: the answer stays unread.
 */
export async function isDailyLimit(res: Response): Promise<boolean> {
  if (res.status !== 429) return false;
  const body = (await readJson(res.clone()).catch(() => undefined)) as { policyName?: string } | undefined;
  return body?.policyName === 'DAILY';
}
