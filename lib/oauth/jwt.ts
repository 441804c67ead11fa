/**
 * The parts of jose that Portico uses: connect links (HS256, ./signing.ts) and admin JWTs
 * (lib/http/auth.ts). Both import this module on demand rather than jose itself, so that in the
 * Lambda bundle it is one small chunk, loaded by the requests that sign or verify a token.
 */
export { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
