import { type ProviderName, providerNames } from '../config.js';
import type { Item } from './db.js';
import { fields } from './fields.js';
import type { Key } from './items.js';

/**
 * The connect flow's items (docs/design.md, "Storage"), apart from lib/store/items.ts so that a
 * cold start, which serves no flow, does not load them: connect sessions and the connect-link
 * signing key. Attribute names and key shapes are the stored format.
 */

// ---- connect session (SESSION#<sid> / SESSION) ------------------------------------------------

export const sessionKey = (sid: string): Key => ({ pk: `SESSION#${sid}`, sk: 'SESSION' });

export const sessionStatuses = ['pending', 'completed', 'failed'] as const;

export type SessionRecord = {
  id: string;
  tenantId: string;
  provider: ProviderName;
  endUserId: string;
  returnUrl?: string;
  scopes?: string[];
  status: (typeof sessionStatuses)[number];
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Epoch seconds, for DynamoDB's TTL (lazy: every read checks `expiresAt`). */
  ttl: number;
  version: number;
  /** SHA-256 of the single-use state of the latest authorize attempt. */
  stateHash?: string;
  /** SHA-256 of the browser-binding cookie (browser flows). */
  bindingHash?: string;
  /** The PKCE verifier, sealed (record id `session:<sid>`). */
  verifier?: string;
  mode?: 'browser' | 'headless';
  redirectUri?: string;
  appClientId?: string;
  appSource?: 'platform' | 'tenant';
  completedAt?: number;
  connectionId?: string;
  error?: string;
  /** SHA-256 of the single-use code handed to the browser when the flow completed. */
  connectCodeHash?: string;
  /** Epoch milliseconds: the code, and a pending connection, last until then. */
  connectCodeUntil?: number;
  /** Epoch milliseconds: when the tenant's backend confirmed the connection with the code. */
  confirmedAt?: number;
};

/** The attributes of a session update (`undefined` removes one). */
export type SessionChanges = Partial<Omit<SessionRecord, 'id' | 'tenantId' | 'provider'>>;

/**
 * A tenant's sessions in the listing index, ordered by when their `ttl` falls due: the local purge
 * (the embedded store has no TTL) and tenant revocation find them without a scan.
 */
export const sessionIndexPk = (tenantId: string) => `SESSION#${tenantId}`;
const sessionIndexSk = (s: SessionRecord) => `${new Date(s.ttl * 1000).toISOString()}#${s.id}`;

export function sessionItem(s: SessionRecord): Item {
  return {
    ...sessionKey(s.id),
    type: 'session',
    ...s,
    gsi2pk: sessionIndexPk(s.tenantId),
    gsi2sk: sessionIndexSk(s),
  };
}

export function readSession(item: Item): SessionRecord {
  const f = fields(item, 'connect session');
  return {
    id: f.string('id'),
    tenantId: f.string('tenantId'),
    provider: f.oneOf('provider', providerNames),
    endUserId: f.string('endUserId'),
    returnUrl: f.optionalString('returnUrl'),
    scopes: f.optionalStrings('scopes'),
    status: f.oneOf('status', sessionStatuses),
    expiresAt: f.number('expiresAt'),
    ttl: f.number('ttl'),
    version: f.number('version'),
    stateHash: f.optionalString('stateHash'),
    bindingHash: f.optionalString('bindingHash'),
    verifier: f.optionalString('verifier'),
    mode: f.optionalOneOf('mode', ['browser', 'headless'] as const),
    redirectUri: f.optionalString('redirectUri'),
    appClientId: f.optionalString('appClientId'),
    appSource: f.optionalOneOf('appSource', ['platform', 'tenant'] as const),
    completedAt: f.optionalNumber('completedAt'),
    connectionId: f.optionalString('connectionId'),
    error: f.optionalString('error'),
    connectCodeHash: f.optionalString('connectCodeHash'),
    connectCodeUntil: f.optionalNumber('connectCodeUntil'),
    confirmedAt: f.optionalNumber('confirmedAt'),
  };
}

// ---- the connect-link signing key (SYSTEM / SIGNING_KEY) ------------------------------------

export const signingKeyKey: Key = { pk: 'SYSTEM', sk: 'SIGNING_KEY' };

/** The signing key, sealed under the system tenant's key (record id `signing-key`). */
export function signingKeyItem(sealed: string): Item {
  return { ...signingKeyKey, sealed };
}

export function readSigningKey(item: Item): string {
  return fields(item, 'signing key').string('sealed');
}
