import { describe, expect, it } from 'vitest';
import type { Item } from '../../lib/store/db.js';
import { StoredItemError } from '../../lib/store/fields.js';
import {
  apiKeyItem,
  apiKeyRefItem,
  auditItem,
  connectionIndexItem,
  connectionItem,
  readApiKey,
  readApiKeyHash,
  readAudit,
  readConnection,
  readConnectionIndex,
  readTenant,
  readTenantApp,
  readWrappedKey,
  systemKeyItem,
  tenantAppItem,
  tenantItem,
} from '../../lib/store/items.js';
import { readSession, readSigningKey, sessionItem, signingKeyItem } from '../../lib/store/oauth-items.js';
import { outboxItem, readOutbox } from '../../lib/store/outbox-items.js';

/**
 * Items exactly as the code before the typed layer wrote them (attribute names and key shapes):
 * each still reads, and writing what was read gives back the same item, so existing tables keep working.
 */
const at = '2026-06-01T12:00:00.000Z';
const wrappedKey = new Uint8Array([1, 2, 3]);
const stored = {
  tenant: {
    pk: 'TENANT#ten_8x2k4m9q1w3e5r7t',
    sk: 'META',
    type: 'tenant',
    id: 'ten_8x2k4m9q1w3e5r7t',
    name: 'Acme',
    status: 'active',
    returnUrls: ['https://acme.test/back'],
    webhookUrl: 'https://acme.test/hooks',
    createdAt: at,
    updatedAt: at,
    wrappedKey,
    version: 3,
    gsi2pk: 'TENANT',
    gsi2sk: `${at}#ten_8x2k4m9q1w3e5r7t`,
    webhookSecret: 'sealed-secret',
  },
  apiKeyRef: {
    pk: 'TENANT#ten_8x2k4m9q1w3e5r7t',
    sk: 'KEY#key_5k2x9w3e',
    type: 'apikey-ref',
    id: 'key_5k2x9w3e',
    hash: 'ab'.repeat(32),
    createdAt: at,
  },
  apiKey: {
    pk: `APIKEY#${'ab'.repeat(32)}`,
    sk: 'APIKEY',
    type: 'apikey',
    tenantId: 'ten_8x2k4m9q1w3e5r7t',
    keyId: 'key_5k2x9w3e',
    createdAt: at,
  },
  app: {
    pk: 'TENANT#ten_8x2k4m9q1w3e5r7t',
    sk: 'APP#dropbox',
    type: 'app',
    provider: 'dropbox',
    clientId: 'cid',
    clientSecret: 'sealed-client-secret',
    scopes: ['files.content.read'],
    updatedAt: at,
  },
  session: {
    pk: 'SESSION#cs_7w2k9x4m1q3e5r8t',
    sk: 'SESSION',
    type: 'session',
    id: 'cs_7w2k9x4m1q3e5r8t',
    tenantId: 'ten_8x2k4m9q1w3e5r7t',
    provider: 'hubspot',
    endUserId: 'alice',
    returnUrl: 'https://acme.test/back',
    status: 'completed',
    expiresAt: 1780315200000,
    ttl: 1780318800,
    version: 2,
    stateHash: 'cd'.repeat(32),
    bindingHash: 'ef'.repeat(32),
    mode: 'browser',
    redirectUri: 'https://portico.test/oauth/callback',
    appClientId: 'cid',
    appSource: 'platform',
    completedAt: 1780314300000,
    connectionId: 'conn_7w2k9x4m1q3e5r8t',
    // Issue 14: sessions are listed per tenant by ttl, for the local purge and revocation.
    gsi2pk: 'SESSION#ten_8x2k4m9q1w3e5r7t',
    gsi2sk: `${new Date(1780318800 * 1000).toISOString()}#cs_7w2k9x4m1q3e5r8t`,
  },
  connection: {
    pk: 'TENANT#ten_8x2k4m9q1w3e5r7t',
    sk: 'CONN#conn_7w2k9x4m1q3e5r8t',
    type: 'connection',
    id: 'conn_7w2k9x4m1q3e5r8t',
    tenantId: 'ten_8x2k4m9q1w3e5r7t',
    provider: 'hubspot',
    endUserId: 'alice',
    authScheme: 'oauth2',
    status: 'active',
    accountId: '4242',
    accountName: 'acme.hubspot.com',
    scopes: ['oauth', 'hubdb'],
    expiresAt: at,
    credentials: 'sealed-credentials',
    keySk: 'CONNKEY#hubspot#4242#0123',
    createdAt: at,
    updatedAt: at,
    version: 7,
    leaseOwner: 'a1b2',
    leaseUntil: 1780315230000,
    gsi1pk: 'DUE#3',
    gsi1sk: `2026-06-01T11:50:00.000Z#ten_8x2k4m9q1w3e5r7t#conn_7w2k9x4m1q3e5r8t`,
  },
  connectionIndex: {
    pk: 'TENANT#ten_8x2k4m9q1w3e5r7t',
    sk: 'CONNKEY#hubspot#4242#0123',
    type: 'connkey',
    connectionId: 'conn_7w2k9x4m1q3e5r8t',
  },
  audit: {
    pk: 'AUDIT#ten_8x2k4m9q1w3e5r7t',
    sk: `${at}#evt_1a2b3c4d`,
    type: 'audit',
    id: 'evt_1a2b3c4d',
    at,
    actor: 'admin-key',
    action: 'connection.deleted',
    tenantId: 'ten_8x2k4m9q1w3e5r7t',
    connectionId: 'conn_7w2k9x4m1q3e5r8t',
    outcome: 'failure',
    detail: 'credentials unreadable: not revoked at the provider',
    ttl: 1811851200,
  },
  outbox: {
    pk: 'OUTBOX#2',
    sk: '001780315200000#msg_1a2b3c4d',
    type: 'webhook',
    id: 'msg_1a2b3c4d',
    tenantId: 'ten_8x2k4m9q1w3e5r7t',
    eventType: 'connection.created',
    payload: '{"type":"connection.created"}',
    attempts: 2,
    firstAt: 1780315100000,
    claimedUntil: 1780315230000,
  },
  systemKey: { pk: 'TENANT#system', sk: 'META', type: 'system', wrappedKey },
  signingKey: { pk: 'SYSTEM', sk: 'SIGNING_KEY', sealed: 'sealed-signing-key' },
} satisfies Record<string, Item>;

describe('stored items', () => {
  it('read as they were written, and write back the same attributes and keys', () => {
    const tid = 'ten_8x2k4m9q1w3e5r7t';
    expect(tenantItem(readTenant(stored.tenant))).toEqual(stored.tenant);
    const hash = readApiKeyHash(stored.apiKeyRef);
    expect(apiKeyRefItem({ tenantId: tid, id: stored.apiKeyRef.id, hash, createdAt: at })).toEqual(
      stored.apiKeyRef,
    );
    expect(apiKeyItem(hash, readApiKey(stored.apiKey))).toEqual(stored.apiKey);
    expect(tenantAppItem(tid, readTenantApp(stored.app))).toEqual(stored.app);
    expect(sessionItem(readSession(stored.session))).toEqual(stored.session);
    // Items written before the filter indexes read the same; writing one back adds its index entries.
    const filterKeys = (prefix: string, item: Item) =>
      Object.fromEntries(Object.entries(item).filter(([k]) => /^gsi[345]/.test(k) || k.startsWith(prefix)));
    expect(connectionItem(readConnection(stored.connection))).toEqual({
      ...stored.connection,
      gsi3pk: 'CONNP#ten_8x2k4m9q1w3e5r7t#hubspot',
      gsi3sk: `active#${at}#conn_7w2k9x4m1q3e5r8t`,
      gsi4pk: 'CONNS#ten_8x2k4m9q1w3e5r7t#active',
      gsi4sk: `${at}#conn_7w2k9x4m1q3e5r8t`,
      gsi5pk: expect.stringMatching(/^CONNU#ten_8x2k4m9q1w3e5r7t#[0-9a-f]{64}$/),
      gsi5sk: `hubspot#active#${at}#conn_7w2k9x4m1q3e5r8t`,
    });
    expect(
      connectionIndexItem(tid, stored.connectionIndex.sk, readConnectionIndex(stored.connectionIndex)),
    ).toEqual(stored.connectionIndex);
    const audit = auditItem(readAudit(stored.audit), stored.audit.ttl);
    expect(audit).toEqual({ ...stored.audit, ...filterKeys('gsi', audit) });
    expect(filterKeys('gsi', audit)).toEqual({
      gsi3pk: 'AUDITC#ten_8x2k4m9q1w3e5r7t#conn_7w2k9x4m1q3e5r8t',
      gsi3sk: stored.audit.sk,
      gsi4pk: 'AUDITA#ten_8x2k4m9q1w3e5r7t#connection.deleted',
      gsi4sk: stored.audit.sk,
      gsi5pk: 'AUDITO#ten_8x2k4m9q1w3e5r7t#failure',
      gsi5sk: stored.audit.sk,
    });
    // An outbox event of before reads as pending, created at its first schedule.
    const outbox = outboxItem(readOutbox(stored.outbox));
    expect(outbox).toEqual({
      ...stored.outbox,
      status: 'pending',
      createdAt: new Date(stored.outbox.firstAt).toISOString(),
      ...filterKeys('gsi', outbox),
    });
    expect(outbox.gsi3pk).toBe('DELIVS#ten_8x2k4m9q1w3e5r7t#pending');
    expect(systemKeyItem('system', readWrappedKey(stored.systemKey)!)).toEqual(stored.systemKey);
    expect(signingKeyItem(readSigningKey(stored.signingKey))).toEqual(stored.signingKey);
  });

  it('read optional attributes as absent, and the tombstone of a revoked tenant', () => {
    const { returnUrls: _r, webhookUrl: _w, webhookSecret: _s, wrappedKey: _k, ...bare } = stored.tenant;
    const tombstone = { ...bare, status: 'revoked', revocation: { revoked: 3, failed: 1 }, revokedAt: at };
    expect(readTenant(tombstone)).toMatchObject({
      returnUrls: [],
      webhookUrl: undefined,
      wrappedKey: undefined,
      status: 'revoked',
      revocation: { revoked: 3, failed: 1 },
    });
    expect(readTenant({ ...stored.tenant, status: 'revoking' }).status).toBe('revoking');
  });

  it('refuse an item that lacks what its kind always has, rather than read a wrong value', () => {
    const { credentials: _c, ...noCredentials } = stored.connection;
    expect(() => readConnection(noCredentials)).toThrow(StoredItemError);
    expect(() => readConnection({ ...stored.connection, provider: 'myspace' })).toThrow(StoredItemError);
    expect(() => readSession({ ...stored.session, expiresAt: '2026-06-01' })).toThrow(StoredItemError);
    expect(() => readTenant({ ...stored.tenant, returnUrls: [1] })).toThrow(StoredItemError);
    expect(() => readOutbox({ ...stored.outbox, attempts: undefined })).toThrow(StoredItemError);
  });
});
