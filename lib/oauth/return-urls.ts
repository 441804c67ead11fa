/**
 * True when `url` is under one of `allowed`: the same origin and a path prefix, never with
 * credentials or another scheme than http(s) (docs/api.md, "Tenant routes: connecting"), and
 * never with an encoded `/`, `\` or `.` in its path: a server that decodes them before routing
 * would climb out of the allowed prefix (`/back/..%2f..%2fadmin`).
 */
export function isAllowedReturnUrl(url: string, allowed: string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password || (u.protocol !== 'https:' && u.protocol !== 'http:')) return false;
  if (/%(2f|5c|2e)/i.test(u.pathname)) return false;
  return allowed.some((a) => {
    const base = new URL(a);
    if (base.origin !== u.origin) return false;
    const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return u.pathname === base.pathname || u.pathname.startsWith(prefix) || base.pathname === '/';
  });
}

/** The origins a connect popup may post its result to: Portico's own and the tenant's return URLs' (never `*`). */
export function allowedOrigins(publicUrl: string, returnUrls: string[]): string[] {
  const origins = new Set<string>([new URL(publicUrl).origin]);
  for (const u of returnUrls) origins.add(new URL(u).origin);
  return [...origins];
}
