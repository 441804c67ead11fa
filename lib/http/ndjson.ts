import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { statusOf, toPorticoError } from './problem.js';

/** The longest an NDJSON stream holds the event loop before it lets other work run. */
const YIELD_EVERY_MS = 4;

/**
 * An `application/x-ndjson` answer from an async source of JSON values, one a line, pulled as
 * the client reads (backpressure). A failure after the first line ends the stream with one line
 * `{"error": {"code", "detail"}}`, so no consumer can take a partial stream for a whole one; a
 * failure before anything was sent is thrown, to be answered as problem JSON.
 */
export async function ndjsonResponse<T>(
  source: AsyncIterable<T>,
  log: Logger,
  requestId?: string,
  options: { map?: (value: T) => unknown; mapError?: (err: unknown) => unknown } = {},
): Promise<Response> {
  const it = source[Symbol.asyncIterator]();
  const enc = new TextEncoder();
  // Mapping here (not in another async generator) saves an await per value on hot streams.
  const map = options.map ?? ((v: T) => v);
  const mapError = options.mapError ?? ((e: unknown) => e);
  // Pull the first value before answering, so early failures keep their status code.
  let first: IteratorResult<T>;
  try {
    first = await it.next();
  } catch (err) {
    throw mapError(err);
  }
  let done = first.done;
  const pending: unknown[] = first.done ? [] : [map(first.value)];
  // Values already in memory (a decoded block) come without waiting on I/O: without a turn of the
  // event loop now and then, one fast stream would hold every other request of the process.
  let turnAt = performance.now() + YIELD_EVERY_MS;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = '';
      try {
        while (pending.length) chunk += `${JSON.stringify(pending.shift())}\n`;
        // Batch a few values a pull: fewer, larger chunks.
        for (let i = 0; !done && i < 256 && chunk.length < 64 * 1024; i++) {
          const r = await it.next();
          if (r.done) done = true;
          else chunk += `${JSON.stringify(map(r.value))}\n`;
        }
        if (performance.now() >= turnAt) {
          await nextTurn();
          turnAt = performance.now() + YIELD_EVERY_MS;
        }
        const out = chunk;
        chunk = '';
        if (out) controller.enqueue(enc.encode(out));
        if (done) controller.close();
      } catch (err) {
        // The values read before the failure go out first: they are whole and were good.
        if (chunk) controller.enqueue(enc.encode(chunk));
        controller.enqueue(errorLine(err, mapError, log, requestId));
        controller.close();
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
  return ndjsonAnswer(body);
}

/**
 * The same answer as {@link ndjsonResponse} from a source that has already written its values as
 * NDJSON: each chunk is one or more whole lines (UTF-8, each ending with a newline), passed on as
 * they are. Failures are answered as {@link ndjsonResponse} answers them: before the first chunk
 * thrown, after it as one last `{"error": …}` line.
 */
export async function ndjsonLinesResponse(
  source: AsyncIterable<Uint8Array>,
  log: Logger,
  requestId?: string,
  options: { mapError?: (err: unknown) => unknown } = {},
): Promise<Response> {
  const it = source[Symbol.asyncIterator]();
  const mapError = options.mapError ?? ((e: unknown) => e);
  let first: IteratorResult<Uint8Array>;
  try {
    first = await it.next();
  } catch (err) {
    throw mapError(err);
  }
  let pending = first.done ? undefined : first.value;
  let done = first.done;
  let turnAt = performance.now() + YIELD_EVERY_MS;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
        } else if (!done) {
          const r = await it.next();
          if (r.done) done = true;
          else controller.enqueue(r.value);
        }
        if (performance.now() >= turnAt) {
          await nextTurn();
          turnAt = performance.now() + YIELD_EVERY_MS;
        }
        if (done) controller.close();
      } catch (err) {
        controller.enqueue(errorLine(err, mapError, log, requestId));
        controller.close();
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
  return ndjsonAnswer(body);
}

/** The line that ends a stream that failed; an unexpected failure is logged. */
function errorLine(
  err: unknown,
  mapError: (err: unknown) => unknown,
  log: Logger,
  requestId: string | undefined,
): Uint8Array {
  const e = toPorticoError(mapError(err));
  if (statusOf(e) >= 500 && e.code === 'internal_error') log.error('stream failed', { requestId, err });
  return Buffer.from(`${JSON.stringify({ error: { code: e.code, detail: e.message } })}\n`);
}

function ndjsonAnswer(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** True when the client asked for NDJSON. */
export function wantsNdjson(accept: string | undefined): boolean {
  return /application\/x-ndjson/i.test(accept ?? '');
}
