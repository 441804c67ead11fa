import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../../../lib/dev/local/dynamo.js';
import { hostAllowed, type LocalServer, startLocal } from '../../../lib/dev/local/server.js';
import { silentLogger } from '../../../lib/log.js';

/** Issue 14, item 1: local mode is reachable by nobody but Portico and its own pages. */

const root = new URL('../../..', import.meta.url).pathname;

/** A raw HTTP request, so that `Host` and `Origin` can be anything an attacker sends. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local server', () => {
  let server: LocalServer;
  let dataDir: string;
  let port: number;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portico-local-sec-'));
    server = await startLocal({ env: { PORT: '0', DATA_DIR: dataDir, SANDBOX: '1' }, log: silentLogger });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('its embedded DynamoDB refuses a client without the per-start key pair', async () => {
    // What any local process could do before: write an API-key item for any tenant.
    for (const credentials of [
      { accessKeyId: 'local', secretAccessKey: 'local' },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    ]) {
      const intruder = new DynamoDBClient({
        endpoint: server.dynamoEndpoint,
        region: 'local',
        credentials,
        maxAttempts: 1,
      });
      await expect(intruder.send(new ListTablesCommand({}))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
      await expect(
        intruder.send(
          new PutItemCommand({
            TableName: server.config.tableName,
            Item: { pk: { S: 'APIKEY#x' }, sk: { S: 'APIKEY' }, tenantId: { S: 'ten_victim' } },
          }),
        ),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      intruder.destroy();
    }
    // Unsigned, or signed by a page: refused too, and never with CORS headers.
    const unsigned = await raw(server.dynamoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    // Portico itself still reads and writes.
    const res = await fetch(`${server.url}/v1/tenants`, {
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(res.status).toBe(200);
  });

  it('its embedded DynamoDB refuses anything a browser sends (an Origin header), preflights included', async () => {
    for (const method of ['OPTIONS', 'POST', 'GET']) {
      const res = await raw(server.dynamoEndpoint, {
        method,
        headers: {
          origin: 'http://evil.example',
          'access-control-request-method': 'POST',
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
        },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status, method).toBe(403);
      expect(res.headers['access-control-allow-origin'], method).toBeUndefined();
    }
  });

  it('refuses a request whose Host is not its own (DNS rebinding): 421 problem JSON', async () => {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.nip.io:${port}`,
      `localhost:${port + 1}`,
    ]) {
      for (const path of ['/healthz', '/v1/tenants', '/', '/demo/api/sessions', '/sandbox/_control/mint']) {
        const res = await raw(`${server.url}${path}`, {
          headers: { host, authorization: `Bearer ${server.adminKey}` },
        });
        expect(res.status, `${host} ${path}`).toBe(421);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(JSON.parse(res.body)).toMatchObject({ status: 421, code: 'invalid_request' });
      }
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const res = await raw(`${server.url}/healthz`, { headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('the demo backend answers only calls with the token of the page it served', async () => {
    const body = JSON.stringify({ provider: 'hubspot', endUserId: 'alice' });
    const headers = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };
    const without = await fetch(`${server.url}/demo/api/sessions`, { method: 'POST', headers, body });
    expect(without.status).toBe(403);
    const wrong = await fetch(`${server.url}/demo/api/sessions`, {
      method: 'POST',
      headers: { ...headers, 'x-portico-demo-token': 'guessed' },
      body,
    });
    expect(wrong.status).toBe(403);
    expect((await fetch(`${server.url}/demo/api/connections?endUserId=alice`)).status).toBe(403);

    const page = await (await fetch(`${server.url}/`)).text();
    const token = /data-demo-token="([^"]+)"/.exec(page)?.[1];
    expect(token).toMatch(/^[\w-]{32}$/);
    const own = await fetch(`${server.url}/demo/api/sessions`, {
      method: 'POST',
      headers: { ...headers, 'x-portico-demo-token': token! },
      body,
    });
    expect(own.status).toBe(201);
  });
});

describe('the demo without the sandbox', () => {
  it('is not mounted when real provider apps are configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-nodemo-'));
    const server = await startLocal({
      env: {
        PORT: '0',
        DATA_DIR: dataDir,
        SANDBOX: '0',
        HUBSPOT_CLIENT_ID: 'real-app',
        HUBSPOT_CLIENT_SECRET: 'real-secret',
      },
      log: silentLogger,
    });
    try {
      for (const path of ['/', '/demo/app.js', '/demo/api/connections?endUserId=a']) {
        expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
      }
      const sessions = await fetch(`${server.url}/demo/api/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'hubspot', endUserId: 'alice' }),
      });
      expect(sessions.status).toBe(404);
      // No demo tenant was made either.
      const { tenants } = await (
        await fetch(`${server.url}/v1/tenants`, { headers: { authorization: `Bearer ${server.adminKey}` } })
      ).json();
      expect(tenants).toEqual([]);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the Host rule', () => {
  it("takes PUBLIC_URL's host and loopback names on the listening port only", () => {
    expect(hostAllowed('portico.example.com', 'https://portico.example.com', 8787)).toBe(true);
    expect(hostAllowed('PORTICO.example.com', 'https://portico.example.com', 8787)).toBe(true);
    expect(hostAllowed('localhost:8787', 'https://portico.example.com', 8787)).toBe(true);
    expect(hostAllowed('[::1]:8787', 'https://portico.example.com', 8787)).toBe(true);
    expect(hostAllowed('portico.example.com:8787', 'https://portico.example.com', 8787)).toBe(false);
    expect(hostAllowed('localhost', 'https://portico.example.com', 8787)).toBe(false);
    expect(hostAllowed('evil.example', 'https://portico.example.com', 8787)).toBe(false);
    expect(hostAllowed(null, 'http://localhost:8787', 8787)).toBe(false);
  });
});

describe('DATA_DIR', () => {
  it('is created 0700', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'portico-mode-'));
    const dataDir = join(parent, 'data');
    const server = await startLocal({ env: { PORT: '0', DATA_DIR: dataDir }, log: silentLogger });
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    } finally {
      await server.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('open to other users stops start-up with one line naming it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-open-'));
    try {
      chmodSync(dataDir, 0o755);
      await expect(startLocal({ env: { PORT: '0', DATA_DIR: dataDir }, log: silentLogger })).rejects.toThrow(
        `DATA_DIR: ${dataDir} is open to other users (mode 755)`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a key file readable by others stops start-up naming the file', async () => {
    for (const [file, variable] of [
      ['admin.key', 'ADMIN_API_KEY'],
      ['master.key', 'LOCAL_MASTER_KEY'],
    ] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), 'portico-keyfile-'));
      try {
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(join(dataDir, 'admin.key'), 'pak_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n', {
          mode: 0o600,
        });
        writeFileSync(join(dataDir, 'master.key'), `${Buffer.alloc(32, 7).toString('base64')}\n`, {
          mode: 0o600,
        });
        chmodSync(join(dataDir, file), 0o644);
        await expect(
          startLocal({ env: { PORT: '0', DATA_DIR: dataDir }, log: silentLogger }),
          file,
        ).rejects.toThrow(`${variable}: ${join(dataDir, file)} is open to other users (mode 644)`);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});

/** Runs `npm start`'s entry until it has printed its banner; returns what it printed. */
async function banner(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'lib/dev/local/main.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (/API reference:.*\n/.test(out)) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

describe('the admin key at start-up', () => {
  it('is printed once, when generated; later starts and a supplied key print only where it is kept', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-banner-'));
    try {
      const first = await banner({ DATA_DIR: dataDir });
      const key = /Admin key:\s+(pak_\S+)/.exec(first)?.[1];
      expect(key, first).toBeDefined();
      expect(first).toContain(join(dataDir, 'admin.key'));

      const second = await banner({ DATA_DIR: dataDir });
      expect(second).not.toContain(key);
      expect(second).toMatch(new RegExp(`Admin key:\\s+kept in ${join(dataDir, 'admin.key')}`));

      const supplied = 'pak_supplied_by_the_operator_0123456789abcdef';
      const third = await banner({ DATA_DIR: dataDir, ADMIN_API_KEY: supplied });
      expect(third).not.toContain(supplied);
      expect(third).toMatch(/Admin key:\s+from ADMIN_API_KEY/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('the embedded DynamoDB itself', () => {
  it('with a key pair, takes requests signed with it and refuses a tampered body', async () => {
    const credentials = { accessKeyId: 'PORTICOTEST', secretAccessKey: 'a-secret-for-this-test-only' };
    const dynamo = await startEmbeddedDynamo({ credentials });
    const good = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'local',
      credentials,
      maxAttempts: 1,
    });
    try {
      expect((await good.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      // A signature made for one body does not carry another.
      const signed = await new Promise<Record<string, string>>((resolve) => {
        good.middlewareStack.add(
          (next) => async (args) => {
            const r = args.request as { headers: Record<string, string> };
            resolve({ ...r.headers });
            return next(args);
          },
          { step: 'finalizeRequest', priority: 'low', name: 'capture' },
        );
        void good.send(new ListTablesCommand({ Limit: 5 }));
      });
      const tampered = await raw(dynamo.endpoint, { method: 'POST', headers: signed, body: '{"Limit":6}' });
      expect(tampered.status).toBe(403);
    } finally {
      good.destroy();
      await dynamo.close();
    }
  });
});
