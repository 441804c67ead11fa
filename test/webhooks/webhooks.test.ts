import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocal } from '../../lib/dev/local/server.js';
import { createLogger, silentLogger } from '../../lib/log.js';
import { Outbox } from '../../lib/webhooks/index.js';
import { assertDeliverable, isPrivateAddress } from '../../lib/webhooks/ssrf.js';
import { startReceiver } from '../helpers/receiver.js';
import { type Sandbox, type Stack, sandboxEnv, startSandbox, startStack } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

describe('webhooks', () => {
  it('signs connection and tenant events per Standard Webhooks', async () => {
    const receiver = await startReceiver();
    try {
      const t = await s.tenant({ webhookUrl: receiver.url });
      const minted = s.sandbox.state.mint({ provider: 'hubspot', account: 'hooked' });
      const res = await s.api('POST', '/v1/connections', t.apiKey, {
        provider: 'hubspot',
        endUserId: 'hooked',
        credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
      });
      const conn = await res.json();
      await receiver.waitFor((r) => r.length >= 1);
      const wh = new Webhook(t.webhookSecret);
      const first = receiver.received[0];
      const event = wh.verify(first.body, first.headers as Record<string, string>) as {
        type: string;
        data: { connection: { id: string } };
      };
      expect(event.type).toBe('connection.created');
      expect(event.data.connection.id).toBe(conn.id);
      expect(first.body).not.toContain(minted.refresh_token);
      // A tampered body fails the library's own verifier.
      expect(() =>
        wh.verify(first.body.replace('created', 'deleted'), first.headers as Record<string, string>),
      ).toThrow();

      await s.api('DELETE', `/v1/tenants/${t.id}`, s.adminKey);
      await receiver.waitFor((r) => r.some((x) => x.body.includes('tenant.revoked')));
      const types = receiver.received.map(
        (r) => (wh.verify(r.body, r.headers as Record<string, string>) as { type: string }).type,
      );
      expect(types).toEqual(expect.arrayContaining(['connection.created', 'tenant.revoked']));
      const revoked = receiver.received.find((x) => x.body.includes('tenant.revoked'));
      // One event for the whole tenant (not one per grant), with the final counts.
      expect(JSON.parse(revoked?.body ?? '{}').data).toEqual({
        tenantId: t.id,
        connections: { revoked: 1, failed: 0 },
      });
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver with backoff until it accepts', async () => {
    let fail = 2;
    const receiver = await startReceiver(() => (fail-- > 0 ? 500 : 204));
    try {
      const t = await s.tenant({ webhookUrl: receiver.url });
      let clock = Date.now() + 3_600_000; // past anything the server's own loop has scheduled
      const { db, tenants } = s.portico.services;
      const outbox = new Outbox({ db, tenants, log: silentLogger, allowPrivate: true, now: () => clock });
      (await s.portico.services.outbox()).wake = undefined;
      await outbox.emit(t.id, 'connection.updated', {});
      const passes = [];
      for (let i = 0; i < 5 && receiver.received.length === 0; i++) {
        passes.push(await outbox.drain());
        clock += 3_600_000;
      }
      expect(receiver.received.length).toBe(1);
      expect(passes.reduce((n, p) => n + p.retried, 0)).toBeGreaterThanOrEqual(2);
      // Signed at the (fake) delivery time: check the signature itself, not the freshness window.
      const got = receiver.received[0];
      const expected = new Webhook(t.webhookSecret).sign(
        String(got.headers['webhook-id']),
        new Date(Number(got.headers['webhook-timestamp']) * 1000),
        got.body,
      );
      expect(got.headers['webhook-signature']).toBe(expected);
    } finally {
      await receiver.close();
    }
  });

  it('rotates the signing secret', async () => {
    const t = await s.tenant();
    const res = await s.api('POST', `/v1/tenants/${t.id}/webhook-secret`, s.adminKey);
    expect(res.status).toBe(201);
    const { webhookSecret } = await res.json();
    expect(webhookSecret).toMatch(/^whsec_/);
    expect(webhookSecret).not.toBe(t.webhookSecret);
    expect(await s.portico.services.tenants.webhookSecret(t.id)).toBe(webhookSecret);
  });
});

describe('webhook SSRF guard', () => {
  it('classifies private, loopback and link-local addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8'])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses receivers that resolve to private addresses in the deployment', async () => {
    const resolve = async (host: string) =>
      ({ 'evil.test': ['10.0.0.5'], 'mixed.test': ['8.8.8.8', '127.0.0.1'], 'ok.test': ['93.184.216.34'] })[
        host
      ] ?? [];
    await expect(assertDeliverable('https://evil.test/h', { allowPrivate: false, resolve })).rejects.toThrow(
      /private/,
    );
    await expect(
      assertDeliverable('https://mixed.test/h', { allowPrivate: false, resolve }),
    ).rejects.toThrow();
    await expect(assertDeliverable('http://ok.test/h', { allowPrivate: false, resolve })).rejects.toThrow(
      /https/,
    );
    await expect(assertDeliverable('https://[::1]/h', { allowPrivate: false, resolve })).rejects.toThrow();
    await expect(
      assertDeliverable('https://169.254.169.254/latest', { allowPrivate: false, resolve }),
    ).rejects.toThrow();
    await expect(assertDeliverable('https://ok.test/h', { allowPrivate: false, resolve })).resolves.toEqual([
      '93.184.216.34',
    ]);
  });
});

describe('outbox durability', () => {
  let sandbox: Sandbox;
  let dataDir: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    dataDir = mkdtempSync(join(tmpdir(), 'portico-outbox-'));
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no event across a restart of the local server', async () => {
    const env = { PORT: '0', DATA_DIR: dataDir, ...sandboxEnv(sandbox.url) };
    let server: LocalServer = await startLocal({ env, log: silentLogger });
    // A receiver that is down: the event waits in the outbox.
    const down = await startReceiver();
    const url = down.url;
    await down.close();
    const created = await (
      await fetch(`${server.url}/v1/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Durable', webhookUrl: url }),
      })
    ).json();
    const minted = sandbox.state.mint({ provider: 'dropbox', account: 'durable' });
    const imported = await fetch(`${server.url}/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'dropbox',
        endUserId: 'd',
        credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
      }),
    });
    expect(imported.status).toBe(201);
    await server.close();

    // The receiver comes back on the same port; the server restarts on the same data.
    const port = Number(new URL(url).port);
    const { createServer } = await import('node:http');
    const bodies: string[] = [];
    const back = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        bodies.push(b);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => back.listen(port, '127.0.0.1', r));
    server = await startLocal({ env, log: silentLogger });
    try {
      // Restarted loop drains due events; retries are scheduled ~5 s after the failed attempt.
      const deadline = Date.now() + 20_000;
      while (!bodies.some((b) => b.includes('connection.created')) && Date.now() < deadline) {
        await (await server.services.outbox()).drain();
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(bodies.some((b) => b.includes('connection.created'))).toBe(true);
    } finally {
      await server.close();
      await new Promise<void>((r) => back.close(() => r()));
    }
  }, 40_000);
});

describe('shutting the local server down', () => {
  it('waits for a drain in flight before closing the store: no error, the delivery completes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-shutdown-'));
    const sandbox = await startSandbox();
    // A receiver that holds its answer: the drain is mid-delivery when close() is called.
    const { createServer } = await import('node:http');
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => {
      arrived = r;
    });
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        arrived();
        setTimeout(() => res.writeHead(204).end(), 800);
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(slow.address() as { port: number }).port}/hooks`;
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const env = { PORT: '0', DATA_DIR: dataDir, ...sandboxEnv(sandbox.url) };
    let server = await startLocal({ env, log });
    try {
      const res = await fetch(`${server.url}/v1/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Shutdown', webhookUrl: url }),
      });
      const { apiKey } = await res.json();
      const minted = sandbox.state.mint({ provider: 'dropbox', account: 'shutdown' });
      await fetch(`${server.url}/v1/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: 'dropbox',
          endUserId: 's',
          credentials: { type: 'oauth2', refreshToken: minted.refresh_token },
        }),
      });
      await inFlight; // the loop's drain is now waiting on the receiver
      await server.close();
      expect(lines.filter((l) => /drain failed|still running/.test(l))).toEqual([]);
      // The drain finished before the store closed: the delivered event is gone from the outbox.
      server = await startLocal({ env, log });
      const left = await server.services.db.query({ pk: 'OUTBOX#0' });
      const all = [left.items.length];
      for (const shard of [1, 2, 3])
        all.push((await server.services.db.query({ pk: `OUTBOX#${shard}` })).items.length);
      expect(all).toEqual([0, 0, 0, 0]);
    } finally {
      await server.close();
      await sandbox.close();
      await new Promise<void>((r) => slow.close(() => r()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('webhook delivery is pinned to the checked address', () => {
  it('connects to the address the guard checked, not to a second DNS answer', async () => {
    const { postWebhook } = await import('../../lib/webhooks/deliver.js');
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      // The URL names a host that does not resolve; the pinned address is where the receiver is.
      const status = await postWebhook(
        `http://rebind.invalid:${port}/hooks`,
        { 'content-type': 'application/json' },
        '{}',
        {
          pinned: ['127.0.0.1'],
          timeoutMs: 2000,
        },
      );
      expect(status).toBe(204);
      expect(receiver.received.length).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('webhook URLs in the deployment', () => {
  it('refuses http and loopback, private or link-local receivers when the tenant is saved', async () => {
    const { testApp, ADMIN_KEY } = await import('../helpers/app.js');
    const t = await testApp();
    // The same app as in Lambda (runtime "lambda"): receivers must be https and public.
    t.config.runtime = 'lambda';
    for (const webhookUrl of [
      'http://hooks.example.com/x',
      'https://localhost/x',
      'https://api.localhost/x',
      'https://127.0.0.1/x',
      'https://10.0.0.8/x',
      'https://169.254.169.254/latest',
      'https://[::1]/x',
    ]) {
      const res = await t.call('POST', '/v1/tenants', { key: ADMIN_KEY, body: { name: 'x', webhookUrl } });
      expect(res.status, webhookUrl).toBe(400);
      expect((await res.json()).code).toBe('invalid_request');
    }
    const ok = await t.call('POST', '/v1/tenants', {
      key: ADMIN_KEY,
      body: { name: 'x', webhookUrl: 'https://hooks.example.com/portico' },
    });
    expect(ok.status).toBe(201);
  });
});
