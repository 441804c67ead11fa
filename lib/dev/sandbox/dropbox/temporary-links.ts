import { randomBytes } from 'node:crypto';
import type { SandboxState } from '../common/state.js';

/** How long a link from `files/get_temporary_link` opens its file: four hours, as Dropbox's. */
export const temporaryLinkMs = 4 * 60 * 60 * 1000;

type Link = { lower: string; expires: number };
const bySandbox = new WeakMap<SandboxState, Map<string, Link>>();

/** Hands out an unguessable link id for the file at `lower` (its lower-cased path). */
export function issueTemporaryLink(state: SandboxState, lower: string, now = Date.now()): string {
  const links = bySandbox.get(state) ?? new Map<string, Link>();
  bySandbox.set(state, links);
  const id = randomBytes(24).toString('base64url');
  links.set(id, { lower, expires: now + temporaryLinkMs });
  return id;
}

/** The lower-cased path a link id opens, while it has not expired. */
export function openTemporaryLink(state: SandboxState, id: string, now = Date.now()): string | undefined {
  const link = bySandbox.get(state)?.get(id);
  return link && link.expires > now ? link.lower : undefined;
}
