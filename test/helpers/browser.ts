/**
 * A minimal browser for flow tests without Chromium: a cookie jar (host-scoped, path-aware),
 * manual redirects, and form posting. Enough to walk an OAuth web flow over real HTTP.
 */
export class TestBrowser {
  private readonly jar = new Map<string, Map<string, { value: string; path: string }>>();

  cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.host);
    if (!cookies) return '';
    return [...cookies.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const maxAge = attrs.find((a) => a.toLowerCase().startsWith('max-age='));
      const cookies = this.jar.get(url.host) ?? new Map();
      if (maxAge && Number(maxAge.slice(8)) <= 0) cookies.delete(name);
      else cookies.set(name, { value, path });
      this.jar.set(url.host, cookies);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(u);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    this.store(u, res);
    return res;
  }

  get(url: string) {
    return this.request(url);
  }

  postForm(url: string, fields: Record<string, string>) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  clearCookies() {
    this.jar.clear();
  }
}

/** The hidden fields of the first form on a page (the sandbox consent screen). */
export function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  const decodeEntities = (s: string) =>
    s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
    out[decodeEntities(m[1])] = decodeEntities(m[2]);
  return out;
}

export function locationOf(res: Response, base?: string): string {
  const loc = res.headers.get('location');
  if (!loc) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(loc, base).toString();
}

/**
 * Walks the web flow as a browser would: open the connect link, look at the consent screen,
 * Approve or Deny, follow the provider's redirect to the callback. Answers the callback's answer.
 */
export async function walkConnect(
  browser: TestBrowser,
  connectUrl: string,
  options: { decision?: 'approve' | 'deny'; account?: string; tamper?: (callbackUrl: URL) => void } = {},
): Promise<{ callback: Response; callbackUrl: string; authorizeUrl: string }> {
  const open = await browser.get(connectUrl);
  if (open.status !== 302) throw new Error(`connect link answered ${open.status}: ${await open.text()}`);
  const authorizeUrl = locationOf(open);
  const consent = await browser.get(authorizeUrl);
  if (consent.status !== 200)
    throw new Error(`authorize answered ${consent.status}: ${await consent.text()}`);
  const fields = formFields(await consent.text());
  const decided = await browser.postForm(authorizeUrl.split('?')[0], {
    ...fields,
    account: options.account ?? 'demo',
    decision: options.decision ?? 'approve',
  });
  const callbackUrl = new URL(locationOf(decided, authorizeUrl));
  options.tamper?.(callbackUrl);
  const callback = await browser.get(callbackUrl.toString());
  return { callback, callbackUrl: callbackUrl.toString(), authorizeUrl };
}
