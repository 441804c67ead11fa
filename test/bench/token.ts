import { BatchGetItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { sha256Hex } from '../../lib/ids.js';
import { kmsKeyWrapper, Vault } from '../../lib/vault/index.js';
import { startKmsServer } from '../helpers/kms-server.js';
import { startStack } from '../helpers/stack.js';
import {
  envNumber,
  HttpClient,
  importConnection,
  int,
  ms,
  type Row,
  ratio,
  type Summary,
  summarize,
  timeConcurrent,
  timeSequential,
  unlimited,
} from './util.js';

/**
 * Figures 2 and 3: KMS calls per 1,000 token reads (the vault over the real KMS client against a
 * loopback KMS that counts calls), and warm `GET /token` latency over loopback HTTP against a bare
 * GetItem round trip to the same embedded DynamoDB, in alternating rounds so drift hits both alike.
 */
export async function tokenFigures(log: (line: string) => void): Promise<Row[]> {
  const kms = await startKmsServer();
  const kmsClient = new KMSClient({
    endpoint: kms.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const stack = await startStack({ env: { KMS_KEY_ID: kms.keyId, ...unlimited }, overrides: { kmsClient } });
  const http = new HttpClient(16);
  // The embedded store takes only requests signed with the server's per-start key pair: use its client.
  const ddb = stack.portico.services.db.client;
  try {
    const tenant = await stack.tenant({ name: 'Bench tokens' });
    const grant = stack.sandbox.state.mint({ provider: 'hubspot', account: 'bench-tokens' });
    const id = await importConnection(stack.url, tenant.apiKey, 'hubspot', grant, 'bench-user');
    const tokenUrl = `${stack.url}/v1/connections/${id}/token`;
    const headers = { authorization: `Bearer ${tenant.apiKey}` };
    const getToken = async () => {
      const res = await http.get(tokenUrl, headers);
      if (res.status !== 200)
        throw new Error(`GET /token: ${res.status} ${res.body.toString().slice(0, 300)}`);
    };

    // --- Figure 2: KMS calls. The tenant's key is dropped from the cache first (a cold process).
    const kmsCalls = () => kms.calls.Decrypt + kms.calls.GenerateDataKey;
    stack.portico.services.vault.forget(tenant.id);
    const before = kmsCalls();
    await timeSequential(1000, 120_000, getToken);
    const coldThousand = kmsCalls() - before;
    const warmBefore = kmsCalls();
    const warmReads = await timeSequential(1000, 120_000, getToken);
    const warmThousand = kmsCalls() - warmBefore;
    // Baseline: the same 1,000 reads with no key cache (a vault whose cached keys expire at once).
    const item = await stack.portico.services.connections.getItem(tenant.id, id);
    const uncached = new Vault({
      wrapper: kmsKeyWrapper(kms.keyId, kmsClient),
      cacheTtlMs: 0,
      loadWrappedKey: async (t) => {
        const meta = await stack.portico.services.db.get(`TENANT#${t}`, 'META', false);
        return meta?.wrappedKey as Uint8Array | undefined;
      },
    });
    const uncachedBefore = kmsCalls();
    for (let i = 0; i < 1000; i++) await uncached.open(tenant.id, id, item.credentials as string);
    const uncachedThousand = kmsCalls() - uncachedBefore;
    log(
      `  KMS: ${coldThousand} call(s) in 1,000 reads from a cold cache, ${warmThousand} in the next ${warmReads.length}; uncached ${uncachedThousand}`,
    );

    // --- Figure 3: latency. Warm-up, then alternating rounds of token reads and bare GetItems.
    const key = { pk: { S: `TENANT#${tenant.id}` }, sk: { S: `CONN#${id}` } };
    const tableName = stack.portico.config.tableName;
    const getItem = async () => {
      const out = await ddb.send(
        new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      if (!out.Item) throw new Error('GetItem found nothing');
    };
    // Diagnostics: the HTTP + framework floor, and what the route's two reads cost as two
    // concurrent GetItems or as one BatchGetItem.
    const keyItem = { pk: { S: `APIKEY#${sha256Hex(tenant.apiKey)}` }, sk: { S: 'APIKEY' } };
    const healthz = async () => {
      const res = await http.get(`${stack.url}/healthz`);
      if (res.status !== 200) throw new Error(`healthz: ${res.status}`);
    };
    const twoGets = async () => {
      await Promise.all([
        ddb.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
        ddb.send(new GetItemCommand({ TableName: tableName, Key: keyItem })),
      ]);
    };
    const batchGet = async () => {
      const out = await ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [tableName]: { Keys: [key, keyItem], ConsistentRead: true } },
        }),
      );
      if (out.Responses?.[tableName]?.length !== 2) throw new Error('BatchGetItem did not find both items');
    };
    const total = envNumber('BENCH_TOKEN_REQUESTS', 4000, 600);
    const rounds = 8;
    const per = Math.ceil(total / rounds);
    for (let i = 0; i < 300; i++) {
      await getToken();
      await getItem();
    }
    const seq = { token: [] as number[], ddb: [] as number[] };
    const conc = { token: [] as number[], ddb: [] as number[] };
    const concMs = { token: 0, ddb: 0 };
    const diag = { healthz: [] as number[], twoGets: [] as number[], batchGet: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      diag.healthz.push(...(await timeSequential(Math.ceil(per / 4), 30_000, healthz)));
      diag.twoGets.push(...(await timeSequential(Math.ceil(per / 4), 30_000, twoGets)));
      diag.batchGet.push(...(await timeSequential(Math.ceil(per / 4), 30_000, batchGet)));
      seq.ddb.push(...(await timeSequential(per, 60_000, getItem)));
      seq.token.push(...(await timeSequential(per, 60_000, getToken)));
      const dd = await timeConcurrent(per, 8, 60_000, getItem);
      conc.ddb.push(...dd.samples);
      concMs.ddb += dd.elapsedMs;
      const t = await timeConcurrent(per, 8, 60_000, getToken);
      conc.token.push(...t.samples);
      concMs.token += t.elapsedMs;
    }
    const s = { token: summarize(seq.token), ddb: summarize(seq.ddb) };
    const c = { token: summarize(conc.token), ddb: summarize(conc.ddb) };
    const rps = (n: number, elapsed: number) => int((n / elapsed) * 1000);
    const d = {
      healthz: summarize(diag.healthz),
      twoGets: summarize(diag.twoGets),
      batchGet: summarize(diag.batchGet),
    };
    const diagLine = `same run, sequential p50: GET /healthz ${ms(d.healthz.p50)}, two concurrent GetItems (API key + connection) ${ms(d.twoGets.p50)}, one BatchGetItem of both ${ms(d.batchGet.p50)}, one GetItem ${ms(s.ddb.p50)}`;
    log(`  ${diagLine}`);
    const pair = (a: Summary) => `p50 ${ms(a.p50)} / p99 ${ms(a.p99)}`;
    log(`  token sequential ${pair(s.token)} (n=${s.token.n}); GetItem ${pair(s.ddb)}`);
    log(
      `  token conc 8 ${pair(c.token)} ${rps(c.token.n, concMs.token)} req/s; GetItem ${pair(c.ddb)} ${rps(c.ddb.n, concMs.ddb)} req/s`,
    );

    return [
      {
        figure: 2,
        name: 'KMS calls per 1,000 token reads of one tenant',
        value: `${coldThousand} from a cold cache, ${warmThousand} warm`,
        baseline: `${int(uncachedThousand)} with no key cache`,
        ratio: `${coldThousand} / 1,000`,
        target: '<= 1',
        pass: coldThousand <= 1 && warmThousand <= 1,
      },
      {
        figure: 3,
        name: 'warm GET /token, sequential (loopback HTTP)',
        value: pair(s.token),
        baseline: `GetItem ${pair(s.ddb)}`,
        ratio: `p50 ${ratio(s.token.p50 / s.ddb.p50)}, p99 ${ratio(s.token.p99 / s.ddb.p99)}`,
        target: 'p50 <= 1.5x',
        pass: s.token.p50 / s.ddb.p50 <= 1.5,
        note: `${int(s.token.n)} requests each, in ${rounds} alternating rounds after 300 warm-up; ${diagLine}`,
      },
      {
        figure: 3,
        name: 'warm GET /token, concurrency 8',
        value: `${pair(c.token)}, ${rps(c.token.n, concMs.token)} req/s`,
        baseline: `GetItem ${pair(c.ddb)}, ${rps(c.ddb.n, concMs.ddb)} req/s`,
        ratio: `p50 ${ratio(c.token.p50 / c.ddb.p50)}, p99 ${ratio(c.token.p99 / c.ddb.p99)}`,
        target: '(reported)',
        pass: undefined,
      },
    ];
  } finally {
    http.close();
    kmsClient.destroy();
    await stack.close();
    await kms.close();
  }
}
