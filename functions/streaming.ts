import { PorticoError } from '../lib/errors.js';
import { problemResponse } from '../lib/http/problem.js';
import { setInvocationDeadline } from '../lib/providers/deadline.js';
import type { FetchApp } from './runtime.js';

/**
 * What one answer streamed by Lambda can carry (Lambda response streaming, "Response streaming
 * for Lambda functions" and "Bandwidth limits for response streaming" in the Lambda developer
 * guide): at most 200 MB; the first 6 MB at full speed, the rest at about 2 MB/s; and no longer
 * than the function's timeout (at most 15 minutes). 200 MB at 2 MB/s takes under two minutes,
 * so the size is the limit that binds first.
 */
export const lambdaStreaming = {
  maxBytes: 200 * 1024 * 1024,
  burstBytes: 6 * 1024 * 1024,
  bytesPerSecondAfterBurst: 2 * 1024 * 1024,
  maxSeconds: 15 * 60,
} as const;

/** Room kept below the limit for the NDJSON line that says the stream was cut. */
const endLineRoom = 1024;

const tooLarge = (size: number, limit: number) =>
  new PorticoError(
    'payload_too_large',
    `This answer is ${size} bytes; one answer streamed by this deployment carries at most ${limit} bytes. ` +
      'Download a Dropbox file through a temporary link (`link=true`); read Avro data and HubDB rows in cursor pages (without Accept: application/x-ndjson).',
    { extra: { sizeBytes: size, limitBytes: limit } },
  );

/**
 * `app`, with every answer kept within `maxBytes`, so that no answer ends in a bare gateway
 * error for being too long: an answer that declares a larger `Content-Length` is refused with
 * `413 payload_too_large` problem JSON before a byte of its body is read (its body is
 * cancelled, which stops the provider download behind it); an NDJSON stream of unknown length
 * that would pass the limit ends, within it, with the line
 * `{"error":{"code":"payload_too_large",...}}` the NDJSON routes use for a failure after the
 * first row; any other body of unknown length is cut off with an error, never past the limit.
 * Bytes pass through one chunk at a time: nothing is buffered here.
 */
export function limitAnswerSize(app: FetchApp, maxBytes: number): FetchApp {
  const fetch = async (request: Request, env?: unknown): Promise<Response> => {
    const res = await app.fetch(request, env);
    if (!res.body) return res;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      return problemResponse(tooLarge(declared, maxBytes), res.headers.get('x-request-id') ?? undefined);
    }
    if (res.headers.has('content-length')) return res;
    const ndjson = (res.headers.get('content-type') ?? '').includes('ndjson');
    const budget = ndjson ? maxBytes - endLineRoom : maxBytes;
    let sent = 0;
    let lastByte = 0x0a;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (sent + value.byteLength <= budget) {
          sent += value.byteLength;
          lastByte = value[value.byteLength - 1] ?? lastByte;
          return controller.enqueue(value);
        }
        await reader.cancel().catch(() => undefined);
        if (!ndjson) return controller.error(tooLarge(sent + value.byteLength, maxBytes));
        // The rows that still fit go out whole: cut after the last newline within the budget.
        const fits = value.subarray(0, budget - sent);
        const cut = fits.lastIndexOf(0x0a) + 1;
        if (cut > 0) {
          controller.enqueue(value.subarray(0, cut));
          lastByte = 0x0a;
        }
        const { code, message: detail } = tooLarge(sent + value.byteLength, maxBytes);
        const line = `${lastByte === 0x0a ? '' : '\n'}${JSON.stringify({ error: { code, detail } })}\n`;
        controller.enqueue(new TextEncoder().encode(line));
        controller.close();
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  return { fetch };
}

/** Time kept, at the end of an invocation, to answer a problem instead of being cut off. */
const answerReserveMs = 2_000;

type LambdaContext = { getRemainingTimeInMillis?: () => number };

/**
 * `app`, with the provider calls of each request bounded by the end of its Lambda invocation:
 * the remaining time comes from the Lambda context (`getRemainingTimeInMillis()`, which the handler
 * (functions/function-url.ts) passes as `env.context`), less a reserve to answer in; lib/providers/http.ts
 * then shrinks each call's budget to what is left, so a proxied call that follows a refresh
 * gets only the rest. Without a Lambda context (a test, a local run) nothing is bounded.
 */
export function boundByInvocation(app: FetchApp, now: () => number = Date.now): FetchApp {
  const fetch = (request: Request, env?: unknown) => {
    const context = (env as { context?: LambdaContext } | undefined)?.context;
    const remaining = context?.getRemainingTimeInMillis?.();
    setInvocationDeadline(remaining === undefined ? undefined : now() + remaining - answerReserveMs);
    return app.fetch(request, env);
  };
  return { fetch };
}
