import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** True when a `java` runtime is on the PATH (CI has one; DynamoDB Local needs it). */
export function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * AWS's own DynamoDB Local (the jar shipped in the `amplify-dynamodb-simulator` npm package),
 * started in memory with `java -jar` on a free loopback port.
 */
export async function startDynamoDbLocal(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const dir = join(
    new URL('../../', import.meta.url).pathname,
    'node_modules/amplify-dynamodb-simulator/emulator',
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${output}`);
    try {
      const res = await fetch(endpoint, { method: 'POST' });
      await res.text();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
