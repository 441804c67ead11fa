import { PorticoError } from './errors.js';

/**
 * The values of an `application/x-ndjson` body, one a line, read only as fast as the caller
 * consumes them (each `next()` reads at most what one more line needs), so a slow consumer holds
 * the stream back instead of buffering it. A final `{"error": {code, detail}}` line (a failure
 * after the stream began) throws {@link PorticoError}; a body that ends mid-line throws too.
 * Stopping early cancels the body.
 */
export async function* ndjsonLines(
  body: ReadableStream<Uint8Array>,
  requestId?: string,
): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const parse = (line: string): unknown => {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === 'object' && 'error' in value && Object.keys(value).length === 1) {
      const { code, detail } = (value as { error: { code?: string; detail?: string } }).error ?? {};
      throw new PorticoError({
        code: code ?? 'provider_error',
        status: 200,
        detail: detail ?? 'The stream failed.',
        requestId,
      });
    }
    return value;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield parse(line);
        newline = buffered.indexOf('\n');
      }
    }
    const rest = (buffered + decoder.decode()).trim();
    if (rest) {
      try {
        yield parse(rest);
      } catch (err) {
        if (err instanceof PorticoError) throw err;
        throw new PorticoError({
          code: 'network_error',
          status: 200,
          detail: 'The stream ended mid-line.',
          requestId,
        });
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
