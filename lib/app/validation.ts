import type { Context } from 'hono';
import { invalidRequest } from '../errors.js';
import { problemResponse } from './problem.js';

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

type HookResult = { success: true } | { success: false; error: { issues: ZodLikeIssue[] }; target?: string };

/**
 * Turns a zod validation failure into `400 invalid_request` problem JSON listing each field
 * (`errors: [{path, message}]`), never echoing the rejected values.
 */
export function validationHook(result: HookResult, c: Context): Response | undefined {
  if (result.success) return undefined;
  const issues = result.error.issues.slice(0, 20).map((i) => ({
    path: [targetName(result.target), ...i.path.map(String)].join('.'),
    message: i.code === 'unrecognized_keys' && i.keys ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return problemResponse(
    invalidRequest(`Invalid ${targetName(result.target)}: ${summary}`, { errors: issues }),
    c.get('requestId'),
  );
}

const targetName = (target: string | undefined) => (target === 'json' ? 'body' : (target ?? 'request'));
