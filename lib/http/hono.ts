import type { Env, Schema } from 'hono';
import { HonoBase } from 'hono/hono-base';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import type { BlankEnv, BlankSchema } from 'hono/types';

/**
 * Hono with its RegExpRouter alone, for every app and route set the API builds. The `Hono` that
 * `hono` exports wraps RegExpRouter and TrieRouter in a SmartRouter that picks the first able to
 * serve every route: RegExpRouter serves Portico's (the whole suite runs on it), so the other two
 * were 2.6 KB a cold start compiled for nothing. A route RegExpRouter cannot serve throws when
 * the first request builds its matcher, so it fails every test, not a user.
 */
export class Hono<
  E extends Env = BlankEnv,
  S extends Schema = BlankSchema,
  BasePath extends string = '/',
> extends HonoBase<E, S, BasePath> {
  constructor() {
    super({ router: new RegExpRouter() });
  }
}
