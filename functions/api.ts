import { handle } from 'hono/aws-lambda';
import { createApp } from '../lib/app/index.js';
import { deferredApp, lambdaServices, secretsManager } from './runtime.js';

// Wiring only (DESIGN.md, "Lambda"): clients are built once per container; the secrets are read
// and the app is built on the first request, then reused.
const services = lambdaServices(new secretsManager.SecretsManagerClient({}));

export const handler = handle(deferredApp(async () => createApp(await services())));
