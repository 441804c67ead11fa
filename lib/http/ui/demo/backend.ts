import type { Services } from '../../../services.js';
import type { Tenant } from '../../../tenants/index.js';

/** The demo's tenant: found again by name on restart, so its connections survive a restart. */
export const DEMO_TENANT_NAME = 'Portico demo';
/** Who the audit trail names for the demo's own tenant writes. */
const demoActor = 'system';

interface DemoCredential {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

/**
 * The demo app's "SaaS backend": it holds a tenant API key in memory (never sent to the browser)
 * and calls Portico's public API over loopback HTTP, exactly as a product's backend would.
 */
export class DemoBackend {
  private credential?: Promise<DemoCredential>;
  private base?: string;

  constructor(private readonly services: Services) {}

  /** Called once the server listens: from then on the API is reachable and the public URL known. */
  start(port: number): void {
    this.base = `http://127.0.0.1:${port}`;
    this.credential = this.provision();
    this.credential.catch((err) => this.services.log.warn('demo tenant could not be prepared', { err }));
  }

  /** The demo tenant's id (for tests and the console); provisions it when needed. */
  async tenantId(): Promise<string> {
    return (await this.ready()).tenantId;
  }

  private ready(): Promise<DemoCredential> {
    if (!this.credential) this.credential = this.provision();
    return this.credential;
  }

  /**
   * Reuses the active tenant named {@link DEMO_TENANT_NAME} with a fresh key (only hashes are
   * stored, so an old key cannot be recovered), or creates it. Its return URL is this server's
   * public URL, which also lets the connect popup post its result to the demo page.
   */
  private async provision(): Promise<DemoCredential> {
    const { tenants, config } = this.services;
    const returnUrl = `${config.publicUrl}/`;
    let existing: Tenant | undefined;
    let cursor: string | undefined;
    do {
      const page = await tenants.list(100, cursor);
      existing = page.tenants.find((t) => t.name === DEMO_TENANT_NAME && t.status === 'active');
      cursor = page.nextCursor;
    } while (!existing && cursor);

    if (existing) {
      if (
        existing.returnUrls.length !== 1 ||
        existing.returnUrls[0] !== returnUrl ||
        !existing.requireConfirmation
      ) {
        await tenants.patch(existing.id, { returnUrls: [returnUrl], requireConfirmation: true }, demoActor);
      }
      const key = await tenants.createApiKey(existing.id, demoActor);
      return { tenantId: existing.id, apiKey: key.apiKey, keyId: key.id };
    }
    // The demo plays a product that confirms each flow for its signed-in user (the recommended setting).
    const created = await tenants.create(
      { name: DEMO_TENANT_NAME, returnUrls: [returnUrl], requireConfirmation: true },
      demoActor,
    );
    return { tenantId: created.tenant.id, apiKey: created.apiKey, keyId: created.apiKeyId };
  }

  /**
   * Calls Portico's API with the demo tenant's key. A `401` means the tenant was revoked (from
   * the admin console, say): the demo provisions a new tenant and tries once more.
   */
  async call(method: string, path: string, body?: unknown): Promise<Response> {
    if (!this.base) throw new Error('the demo backend is not started');
    const send = async () => {
      const { apiKey } = await this.ready();
      return fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    };
    const res = await send();
    if (res.status !== 401) return res;
    await res.body?.cancel();
    this.credential = this.provision();
    return send();
  }

  /** Deletes this process's key of the demo tenant (best effort: the server is stopping). */
  async close(): Promise<void> {
    const credential = await this.credential?.catch(() => undefined);
    if (!credential) return;
    await this.services.tenants
      .deleteApiKey(credential.tenantId, credential.keyId, demoActor)
      .catch(() => undefined);
  }
}
