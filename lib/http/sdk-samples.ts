/**
 * The `@portico/node` snippet of each operation the SDK has a method for (packages/node), shown
 * beside curl on /docs (`x-codeSamples`). Each is compiled against the built SDK by
 * test/http/openapi-tools.test.ts, so a renamed method fails there, not in a reader's editor.
 */
const samples: Record<string, string> = {
  createTenant: `const admin = new PorticoAdmin({ baseUrl, adminKey });
const { tenant, apiKey, webhookSecret } = await admin.tenants.create({ name: 'Acme' });`,
  listTenants: `const admin = new PorticoAdmin({ baseUrl, adminKey });
for await (const tenant of admin.tenants.list()) console.log(tenant.id, tenant.name);`,
  getTenant: `const admin = new PorticoAdmin({ baseUrl, adminKey });
const tenant = await admin.tenants.get('ten_8x2k4m9q1w3e5r7t');`,
  revokeTenant: `const admin = new PorticoAdmin({ baseUrl, adminKey });
const result = await admin.tenants.revoke('ten_8x2k4m9q1w3e5r7t');`,
  createConnectSession: `const portico = new Portico({ baseUrl, apiKey });
const session = await portico.connectSessions.create({ provider: 'hubspot', endUserId: 'user_42' });
// send the user's browser to session.connectUrl`,
  getAuthorizationUrl: `const portico = new Portico({ baseUrl, apiKey });
const { authorizationUrl, state } = await portico.connectSessions.authorizationUrl('cs_4k9x2m7q1w3e5r7t');`,
  exchangeCode: `const portico = new Portico({ baseUrl, apiKey });
const connection = await portico.connectSessions.exchange('cs_4k9x2m7q1w3e5r7t', { code });`,
  listConnections: `const portico = new Portico({ baseUrl, apiKey });
for await (const connection of portico.connections.list({ provider: 'hubspot' })) {
  console.log(connection.id, connection.status);
}`,
  getConnection: `const portico = new Portico({ baseUrl, apiKey });
const connection = await portico.connections.get('conn_7w2k9x4m1q3e5r8t');`,
  deleteConnection: `const portico = new Portico({ baseUrl, apiKey });
await portico.connections.delete('conn_7w2k9x4m1q3e5r8t');`,
  getAccessToken: `const portico = new Portico({ baseUrl, apiKey });
const { accessToken, expiresAt } = await portico.connections.token('conn_7w2k9x4m1q3e5r8t');`,
  listHubdbTables: `const portico = new Portico({ baseUrl, apiKey });
for await (const table of portico.hubdb.tables('conn_7w2k9x4m1q3e5r8t')) console.log(table.name);`,
  getHubdbRows: `const portico = new Portico({ baseUrl, apiKey });
for await (const row of portico.hubdb.rows('conn_7w2k9x4m1q3e5r8t', 'products', {
  filters: { price__gt: '10' },
  sort: '-price',
})) {
  console.log(row.values);
}
// or every row as one NDJSON stream:
for await (const row of portico.hubdb.streamRows('conn_7w2k9x4m1q3e5r8t', 'products')) console.log(row.id);`,
  listDropboxFiles: `const portico = new Portico({ baseUrl, apiKey });
for await (const entry of portico.dropbox.files('conn_7w2k9x4m1q3e5r8t', { path: '/data' })) {
  console.log(entry.type, entry.path);
}`,
  downloadDropboxFile: `const portico = new Portico({ baseUrl, apiKey });
const stream = await portico.dropbox.download('conn_7w2k9x4m1q3e5r8t', '/data/users.avro'); // a web ReadableStream`,
  readDropboxAvro: `const portico = new Portico({ baseUrl, apiKey });
const page = await portico.dropbox.avro('conn_7w2k9x4m1q3e5r8t', '/data/users.avro', { limit: 100 });
// or every row, decoded as it downloads:
for await (const row of portico.dropbox.streamAvro('conn_7w2k9x4m1q3e5r8t', '/data/users.avro')) console.log(row);`,
};

for (const method of ['get', 'post', 'put', 'patch', 'delete'])
  samples[`proxy${method[0].toUpperCase()}${method.slice(1)}`] =
    `const portico = new Portico({ baseUrl, apiKey });
const res = await portico.proxy.fetch('conn_7w2k9x4m1q3e5r8t', '/crm/v3/owners', { method: '${method.toUpperCase()}' });`;

/** The SDK snippet of an operation, or undefined where the SDK has no method for it. */
export function sdkSample(operationId: string): string | undefined {
  return samples[operationId];
}

/** Every operation that has a snippet (the test compiles them all). */
export const sdkSampleIds = Object.keys(samples);
