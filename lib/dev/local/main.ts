import { existsSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import { startLocal } from './server.js';

/** `npm start`: the whole service on this machine. */
try {
  // A .env file in the working directory fills in variables the environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const server = await startLocal();
  const { config, adminKeySource: source } = server;
  // The key is shown on the one start that generated it; after that, only where it is kept.
  const adminKey =
    source.kind === 'generated'
      ? `${server.adminKey}   (generated now and kept in ${source.path}; shown this once)`
      : source.kind === 'file'
        ? `kept in ${source.path}`
        : 'from ADMIN_API_KEY';
  process.stdout.write(
    `${[
      '',
      `  Portico is running at ${server.url}`,
      `  Admin key:      ${adminKey}`,
      `  Demo:           ${server.url}/   (Connect HubSpot / Connect Dropbox)`,
      `  Admin console:  ${server.url}/admin`,
      `  API reference:  ${server.url}/docs`,
      `  Data:           ${config.dataDir} (mode 700; DynamoDB at ${server.dynamoEndpoint})`,
      config.sandbox ? `  Sandbox:        HubSpot and Dropbox simulators at ${server.url}/sandbox` : '',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n')}\n\n`,
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`portico: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
