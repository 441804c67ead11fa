import { fileURLToPath } from 'node:url';
import { createApp } from '../lib/http/index.js';
import { staticContentFile } from '../lib/http/ui/content.js';
import { batchedMetrics, emfMetrics } from '../lib/metrics.js';
import { streamHandle } from './function-url.js';
import { deferredApp, lambdaServices, once, secretsClient, withFunctionUrl } from './runtime.js';
import { boundByInvocation, lambdaStreaming, limitAnswerSize } from './streaming.js';

// Wiring only (docs/design.md, "Lambda"): clients are built once per container; the secrets are
// read and the app is built on the first request, then reused.
// The request the app is being built for: without a custom domain, its host is PUBLIC_URL.
let building: Request | undefined;
// Token reads, data calls, provider latency and errors, refreshes and KMS calls as EMF lines
// (lib/metrics.ts), batched so a busy container writes a few lines a minute; the `Service`
// dimension is the stack's name (METRICS_SERVICE).
const metrics = batchedMetrics(emfMetrics({ service: process.env.METRICS_SERVICE || 'Portico' }));
const services = lambdaServices(secretsClient(), {
  env: () => withFunctionUrl(process.env, building),
  overrides: { metrics },
});

// The admin console, browser SDK and API reference: `static.json`, written beside this bundle by
// the CDK bundling step (infra/write-static.ts), read on the first request that serves from it.
// PORTICO_STATIC_CONTENT points elsewhere when the handler runs from source (tests).
const content = staticContentFile(
  process.env.PORTICO_STATIC_CONTENT || fileURLToPath(new URL('./static.json', import.meta.url)),
);

// Built once per container (a failure is retried by the next request), not once per request.
const app = once(async () => createApp(await services(), { content }));

// Served by a function URL in RESPONSE_STREAM mode (infra/api.ts): every answer is written to
// Lambda's response stream as the app produces it (the runtime's `awslambda.streamifyResponse`),
// so a download or an NDJSON stream leaves the function with bounded memory, past the 6 MB of a
// buffered answer, within lambdaStreaming's limits; provider calls never outlive the invocation
// (boundByInvocation).
export const handler = streamHandle(
  boundByInvocation(
    limitAnswerSize(
      deferredApp((request) => {
        building = request;
        return app();
      }),
      lambdaStreaming.maxBytes,
    ),
  ),
);
