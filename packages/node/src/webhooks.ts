import { Webhook } from 'standardwebhooks';
import { PorticoError } from './errors.js';
import type { webhooks } from './generated/openapi.js';

/** Every event Portico delivers, as the OpenAPI document's `webhooks` section declares it. */
export type WebhookEvent = {
  [E in keyof webhooks]: webhooks[E]['post']['requestBody']['content']['application/json'];
}[keyof webhooks];

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`; HMAC-SHA256 under the tenant's `whsec_…` secret, timestamp within five
 * minutes) over the body exactly as received, and answers the typed event. Anything else throws
 * {@link PorticoError} `invalid_webhook`: answer such a request 400 and ignore it.
 * https://www.standardwebhooks.com/
 */
export function verifyWebhook(headers: HeaderBag, body: string | Uint8Array, secret: string): WebhookEvent {
  const flat: Record<string, string> = {};
  if (headers instanceof Headers)
    headers.forEach((v, k) => {
      flat[k] = v;
    });
  else
    for (const [k, v] of Object.entries(headers))
      if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return new Webhook(secret).verify(text, flat) as WebhookEvent;
  } catch (err) {
    throw new PorticoError(
      {
        code: 'invalid_webhook',
        status: 400,
        detail: `The webhook did not verify: ${(err as Error).message}`,
      },
      { cause: err },
    );
  }
}
