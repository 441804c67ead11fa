import type { Audit } from '../audit/index.js';
import type { Config, ProviderName } from '../config.js';
import { type EventSink, type SealedCredentials, toConnection } from '../connections/index.js';
import { codeOf, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnectSessions } from '../oauth/sessions.js';
import type { ProviderOAuth } from '../providers/index.js';
import type { Db } from '../store/db.js';
import {
  apiKeyKey,
  apiKeyRefPrefix,
  type ConnectionRecord,
  connSk,
  isConnectionItem,
  keyOf,
  type RevocationCounts,
  readApiKeyHash,
  readConnection,
  tenantPk,
} from '../store/items.js';
import type { Vault } from '../vault/index.js';
import { issuingApp } from './apps.js';
import type { Tenants } from './index.js';

export interface RevocationResult {
  tenantId: string;
  status: 'revoked';
  connections: RevocationCounts;
}

export interface RevokeDeps {
  db: Db;
  vault: Vault;
  tenants: Tenants;
  audit: Audit;
  config: Config;
  providers: Record<ProviderName, ProviderOAuth>;
  events: EventSink;
  log: Logger;
  /** Provider revocations in flight at once. Default 16. */
  concurrency?: number;
}

/**
 * Revokes a whole tenant (docs/api.md, "Admin routes"; docs/design.md, "Vault"), in an order
 * that is safe to interrupt:
 *
 * 1. status `revoking`, every API key's lookup item deleted: the keys stop working at once;
 * 2. every connection's credentials opened into memory (never written anywhere);
 * 3. the tenant's wrapped data key deleted: from here nothing of the tenant can be decrypted;
 * 4. each grant revoked at its provider from memory, with bounded concurrency and retries;
 * 5. every item of the tenant deleted, except a tombstone (status and counts) and the audit
 *    trail, and its connect sessions (end-user ids, return URLs) with them;
 * 6. status `revoked`, `tenant.revoked` emitted; the tombstone's webhook secret is deleted once
 *    that event is delivered or dead-lettered (at once when there is no webhook to send it to).
 *
 * A repeat call answers the stored result. A call after a crash resumes: before step 3 it
 * redoes everything; after it, grants still listed can no longer be opened and count as failed.
 */
export async function revokeTenant(
  deps: RevokeDeps,
  tenantId: string,
  actor: string,
): Promise<RevocationResult> {
  const { db, vault, tenants } = deps;
  const pk = tenantPk(tenantId);
  const tenant = await tenants.getItem(tenantId);
  if (!tenant) throw notFound('Tenant');
  if (tenant.status === 'revoked' && tenant.revocation) {
    return { tenantId, status: 'revoked', connections: tenant.revocation };
  }
  const previous = tenant.revocation ?? { revoked: 0, failed: 0 };

  // 1. Keys stop working at once.
  await tenants.updateTenant(tenantId, { status: 'revoking', updatedAt: new Date().toISOString() });
  const items = [];
  for await (const item of db.queryAll({ pk })) items.push(item);
  const keyRefs = items.filter((i) => keyOf(i).sk.startsWith(apiKeyRefPrefix));
  await db.deleteMany(keyRefs.map((k) => apiKeyKey(readApiKeyHash(k))));

  // 2. Open what the providers need, while the key still exists.
  const opened: Array<{ connection: ConnectionRecord; creds?: SealedCredentials }> = [];
  for (const connection of items.filter(isConnectionItem).map(readConnection)) {
    try {
      opened.push({
        connection,
        creds: JSON.parse(await vault.openString(tenantId, connection.id, connection.credentials)),
      });
    } catch {
      opened.push({ connection }); // key already destroyed by an earlier, interrupted run
    }
  }

  // 3. Crypto-shred.
  await tenants.updateTenant(tenantId, { wrappedKey: undefined });
  vault.forget(tenantId);

  // 4. Revoke at the providers, from memory.
  const counts = { ...previous };
  let progress: Promise<unknown> = Promise.resolve();
  const saveProgress = () => {
    progress = progress
      .then(() => tenants.updateTenant(tenantId, { revocation: { ...counts } }))
      .catch(() => undefined);
  };
  let next = 0;
  const worker = async () => {
    while (next < opened.length) {
      const { connection, creds } = opened[next++];
      if (!creds || connection.authScheme === 'private_app') {
        // Private-app tokens cannot be revoked through the API (the account owner rotates them).
        if (creds) counts.revoked++;
        else counts.failed++;
        continue;
      }
      const { provider } = connection;
      try {
        // An unconfigured platform app still gets its call: some providers revoke by token alone.
        const app = issuingApp(deps.config, provider, creds) ?? { clientId: '', clientSecret: '' };
        await deps.providers[provider].revoke({ app, grant: creds });
        counts.revoked++;
        // Progress survives a crash: a resumed run neither re-counts nor re-revokes this one.
        await db.delete(pk, connSk(connection.id));
        saveProgress();
      } catch (err) {
        counts.failed++;
        deps.log.warn('provider revocation failed', {
          tenantId,
          connectionId: connection.id,
          provider,
          code: codeOf(err),
        });
      }
      creds.accessToken = undefined;
      creds.refreshToken = undefined;
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency ?? 16 }, worker));
  await progress;

  // 5. Delete everything of the tenant but the tombstone, and its sessions (outside its partition).
  await db.deleteMany(items.map(keyOf).filter((k) => k.sk !== 'META'));
  await new ConnectSessions(db).purge(tenantId, Number.POSITIVE_INFINITY);

  // 6. Done.
  await tenants.updateTenant(tenantId, {
    status: 'revoked',
    revocation: counts,
    revokedAt: new Date().toISOString(),
    gsi2pk: 'TENANT',
    updatedAt: new Date().toISOString(),
  });
  await deps.audit.record({
    actor,
    action: 'tenant.revoked',
    tenantId,
    outcome: counts.failed ? 'failure' : 'success',
    detail: `revoked ${counts.revoked}, failed ${counts.failed}`,
  });
  for (const { connection } of opened) {
    await deps.events
      .emit(tenantId, 'connection.deleted', { connection: toConnection(connection) })
      .catch(() => undefined);
  }
  await deps.events.emit(tenantId, 'tenant.revoked', { tenantId }).catch(() => undefined);
  // No webhook: no event will carry the secret's last use, so it goes now.
  if (!tenant.webhookUrl) await tenants.forgetWebhookSecret(tenantId);
  return { tenantId, status: 'revoked', connections: counts };
}
