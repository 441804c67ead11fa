import { createHash, randomBytes } from 'node:crypto';

/** PKCE S256 (RFC 7636 §4.1-4.2): a 256-bit verifier and its SHA-256 challenge, both base64url. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
