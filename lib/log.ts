/**
 * Structured JSON logs, one object a line, with a redaction rule: every field whose name looks
 * secret-bearing is replaced, and any string that looks like a bearer token, an API key or a
 * provider token is masked wherever it appears. Nothing secret reaches a log line.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secretKey =
  /(token|secret|password|authorization|apikey|api_key|cookie|code_verifier|verifier|^code$|key$|credentials|signature)/i;
// Portico keys (ptk_/pak_), HubSpot private apps (pat-), HubSpot access tokens (`C` + 60 or more
// base64url characters) and refresh tokens (hublet + UUID, `na1-…`), Dropbox short-lived (sl.),
// JWTs, bearer headers.
const secretValue =
  /\b(ptk_[A-Za-z0-9_-]{8,}|pak_[A-Za-z0-9_-]{8,}|pat-[A-Za-z0-9-]{8,}|C[A-Za-z0-9_-]{60,}|[a-z]{2}\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|sl\.[A-Za-z0-9_.-]{8,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|Bearer\s+[A-Za-z0-9._~+/-]+=*)/g;
// A path segment after one naming tokens (`/access-tokens/<t>`, `/refresh-tokens/<t>`, `/tokens/<t>`),
// and token-bearing query parameters: whatever the token looks like (Dropbox refresh tokens have no shape).
const tokenInPath = /(\/(?:[A-Za-z]+[-_])?tokens\/)[^/?#\s"']+/gi;
const tokenInQuery = /([?&](?:[A-Za-z_]*token|code|client_secret|key)=)[^&#\s"']+/gi;

function redactString(value: string): string {
  return value
    .replace(secretValue, '[redacted]')
    .replace(tokenInPath, '$1[redacted]')
    .replace(tokenInQuery, '$1[redacted]');
}

/**
 * Returns a copy of `value` with secret fields and secret-looking strings masked: the one
 * redaction rule every log line goes through. Token-bearing URL path segments and query
 * parameters are masked whatever the token looks like.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message, depth + 1),
      code: (value as { code?: unknown }).code,
      stack: stackFrames(value),
    };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        secretKey.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'number'
          ? '[redacted]'
          : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

// One parsed map per bundle file, read the first time an error from it is logged (`null`: none).
const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  let map = sourceMaps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(file, map);
  }
  return map;
}

const framePosition = /(file:\/\/[^\s()]+?|\/[^\s():]+?\.m?js):(\d+):(\d+)/;

/**
 * An error's stack frames (at most 10; never its first line, which repeats the message), each
 * position in a bundle that ships a source map (`index.mjs.map`) mapped back to its TypeScript
 * source. The Lambda functions run without `--enable-source-maps`, whose parsing of the map at
 * load cost the cold start about 8 ms: the map is read only when an error is logged.
 */
export function stackFrames(err: Error): string[] | undefined {
  if (typeof err.stack !== 'string') return undefined;
  return err.stack
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .slice(0, 10)
    .map((line) =>
      line.trim().replace(framePosition, (whole, file: string, line: string, column: string) => {
        const map = sourceMapOf(file.startsWith('file:') ? fileURLToPath(file) : file);
        const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
        if (!entry || !('originalSource' in entry) || !entry.originalSource) return whole;
        const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
        return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
      }),
    );
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; default `process.stdout`. Tests pass an array sink. */
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

/** Creates a JSON logger. Level from `LOG_LEVEL` (default `info`; `silent` drops everything). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL;
  if (envLevel === 'silent' && !options.write) return silentLogger;
  const level = options.level ?? (envLevel && envLevel in order ? (envLevel as LogLevel) : 'info');
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.base ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < order[level]) return;
    const entry = {
      level: lvl,
      time: new Date().toISOString(),
      msg: redact(msg),
      ...(redact({ ...base, ...fields }) as object),
    };
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, write, base: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
