import type { Audit } from '../audit/index.js';
import type { Config, ProviderName } from '../config.js';
import type { EventSink } from '../connections/events.js';
import type { SealedCredentials } from '../connections/model.js';
import { toConnection } from '../connections/model.js';
import { notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProviderOAuth } from '../providers/index.js';
import type { Db, Item } from '../store/db.js';
import type { Vault } from '../vault/index.js';
import { type Tenants, tenantPk } from './index.js';

export interface RevocationResult {
  tenantId: string;
  status: 'revoked';
  connections: { revoked: number; failed: number };
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
 * Revokes a whole tenant (API.md, "Revoking a tenant"), in an order that is safe to interrupt:
 *
 * 1. status `revoking`, every API key's lookup item deleted: the keys stop working at once;
 * 2. every connection's credentials opened into memory (never written anywhere);
 * 3. the tenant's wrapped data key deleted: from here nothing of the tenant can be decrypted;
 * 4. each grant revoked at its provider from memory, with bounded concurrency and retries;
 * 5. every item of the tenant deleted, except a tombstone (status and counts) and the audit trail;
 * 6. status `revoked`, `tenant.revoked` emitted.
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
    return { tenantId, status: 'revoked', connections: tenant.revocation as RevocationResult['connections'] };
  }
  const previous = (tenant.revocation as RevocationResult['connections'] | undefined) ?? {
    revoked: 0,
    failed: 0,
  };

  // 1. Keys stop working at once.
  await db.update(pk, 'META', { status: 'revoking', updatedAt: new Date().toISOString() });
  const items: Item[] = [];
  for await (const item of db.queryAll({ pk })) items.push(item);
  const keyRefs = items.filter((i) => typeof i.sk === 'string' && (i.sk as string).startsWith('KEY#'));
  await db.deleteMany(keyRefs.map((k) => ({ pk: `APIKEY#${k.hash}`, sk: 'APIKEY' })));

  // 2. Open what the providers need, while the key still exists.
  const connections = items.filter((i) => i.type === 'connection');
  const opened: Array<{ item: Item; creds?: SealedCredentials }> = [];
  for (const item of connections) {
    try {
      opened.push({
        item,
        creds: JSON.parse(await vault.openString(tenantId, item.id as string, item.credentials as string)),
      });
    } catch {
      opened.push({ item }); // key already destroyed by an earlier, interrupted run
    }
  }

  // 3. Crypto-shred.
  await db.update(pk, 'META', { wrappedKey: undefined });
  vault.forget(tenantId);

  // 4. Revoke at the providers, from memory.
  const counts = { ...previous };
  let progress: Promise<unknown> = Promise.resolve();
  const saveProgress = () => {
    progress = progress
      .then(() => db.update(pk, 'META', { revocation: { ...counts } }))
      .catch(() => undefined);
  };
  let next = 0;
  const worker = async () => {
    while (next < opened.length) {
      const { item, creds } = opened[next++];
      if (!creds || item.authScheme === 'private_app') {
        // Private-app tokens cannot be revoked through the API (the account owner rotates them).
        if (creds) counts.revoked++;
        else counts.failed++;
        continue;
      }
      const provider = item.provider as ProviderName;
      try {
        await deps.providers[provider].revoke({ app: appFor(deps.config, provider, creds), grant: creds });
        counts.revoked++;
        // Progress survives a crash: a resumed run neither re-counts nor re-revokes this one.
        await db.delete(pk, item.sk as string);
        saveProgress();
      } catch (err) {
        counts.failed++;
        deps.log.warn('provider revocation failed', {
          tenantId,
          connectionId: item.id,
          provider,
          code: (err as { code?: string }).code,
        });
      }
      creds.accessToken = undefined;
      creds.refreshToken = undefined;
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency ?? 16 }, worker));
  await progress;

  // 5. Delete everything of the tenant but the tombstone.
  await db.deleteMany(
    items.filter((i) => i.sk !== 'META').map((i) => ({ pk: i.pk as string, sk: i.sk as string })),
  );

  // 6. Done.
  await db.update(pk, 'META', {
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
  for (const { item } of opened) {
    await deps.events
      .emit(tenantId, 'connection.deleted', { connection: toConnection(item) })
      .catch(() => undefined);
  }
  await deps.events.emit(tenantId, 'tenant.revoked', { tenantId }).catch(() => undefined);
  return { tenantId, status: 'revoked', connections: counts };
}

function appFor(config: Config, provider: ProviderName, creds: SealedCredentials) {
  if (creds.app?.source === 'tenant' && creds.app.clientSecret) {
    return { clientId: creds.app.clientId, clientSecret: creds.app.clientSecret };
  }
  return {
    clientId: config.apps[provider].clientId ?? '',
    clientSecret: config.apps[provider].clientSecret ?? '',
  };
}
