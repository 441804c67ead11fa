import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * True for addresses a webhook must never reach from the deployment: loopback, private
 * (RFC 1918, ULA), link-local (incl. the cloud metadata service), CGNAT, unspecified,
 * multicast and reserved ranges, in IPv4, IPv6 and IPv4-mapped IPv6; the deprecated site-local
 * `fec0::/10` (RFC 3879); Teredo `2001::/32` (RFC 4380: the client's IPv4 is inside, obfuscated,
 * and relays reach it); and 6to4 `2002::/16` (RFC 3056) whose embedded IPv4 is itself private.
 */
export function isPrivateAddress(address: string): boolean {
  let ip = address.toLowerCase();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1];
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (isIP(ip) === 6) {
    // Canonical form first: a resolver may write `0:0:0:0:0:ffff:7f00:1` or `0064:ff9b::…`.
    ip = new URL(`http://[${ip.split('%')[0]}]`).hostname.slice(1, -1);
    const groups = ipv6Groups(ip);
    const first = groups[0] ?? 0;
    return (
      first === 0 || // ::/8 (reserved): ::, ::1, IPv4-mapped and IPv4-compatible, in any spelling
      (first & 0xfe00) === 0xfc00 || // ULA fc00::/7
      (first & 0xffc0) === 0xfe80 || // link-local
      (first & 0xffc0) === 0xfec0 || // site-local fec0::/10
      (first & 0xff00) === 0xff00 || // multicast
      (first === 0x2001 && groups[1] === 0) || // Teredo 2001::/32
      (first === 0x2002 && isPrivateAddress(embeddedIpv4(groups[1] ?? 0, groups[2] ?? 0))) || // 6to4
      ip.startsWith('64:ff9b:') || // NAT64 can reach IPv4 private space
      ip.startsWith('::ffff:')
    );
  }
  return true; // not an address at all: refuse
}

/** The eight 16-bit groups of a canonical (hex-only) IPv6 address, `::` expanded. */
function ipv6Groups(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function embeddedIpv4(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

export class UnsafeWebhookUrl extends Error {
  override name = 'UnsafeWebhookUrl';
}

/**
 * Checks a webhook URL before each delivery in the deployment: https only, and every address its
 * host resolves to must be public (local mode allows http and loopback receivers). Answers the
 * addresses it checked, so the delivery connects to exactly those: no second DNS answer can point
 * it elsewhere (DNS rebinding).
 */
export async function assertDeliverable(
  url: string,
  options: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<string[] | undefined> {
  const u = new URL(url);
  if (options.allowPrivate) return undefined;
  if (u.protocol !== 'https:') throw new UnsafeWebhookUrl('webhook URLs must be https');
  const host = u.hostname;
  const resolve =
    options.resolve ??
    (async (h: string) => (await lookup(h, { all: true, verbatim: true })).map((r) => r.address));
  const addresses = isIP(host.replace(/^\[|\]$/g, '')) ? [host] : await resolve(host);
  if (!addresses.length || addresses.some(isPrivateAddress)) {
    throw new UnsafeWebhookUrl('the webhook host resolves to a private, loopback or link-local address');
  }
  return addresses.map((a) => a.replace(/^\[|\]$/g, ''));
}
