import type { Env, Schema } from 'hono';
import { HonoBase } from 'hono/hono-base';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import type { BlankEnv, BlankSchema } from 'hono/types';

/**
 * Hono with RegExpRouter alone, for every app and route set the API builds. The `Hono` that
 * `hono` exports has a SmartRouter pick, on the first request, the first of RegExpRouter and
 * TrieRouter able to serve every route: RegExpRouter serves Portico's 79 (checked, and the whole
 * suite runs on it), so TrieRouter was 2 KB a cold start compiled for nothing. SmartRouter stays
 * around it for what it defers: RegExpRouter inserts each route into its tries as it is added,
 * which for the route sets declared at import moved 1.3 ms of CPU into the cold start (profiled),
 * while SmartRouter only lists them until the first match. A route RegExpRouter cannot serve fails
 * that first match, so it fails every test, not a user.
 */
export class Hono<
  E extends Env = BlankEnv,
  S extends Schema = BlankSchema,
  BasePath extends string = '/',
> extends HonoBase<E, S, BasePath> {
  constructor() {
    super({ router: new SmartRouter({ routers: [new RegExpRouter()] }) });
  }
}
