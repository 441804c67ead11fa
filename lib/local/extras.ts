import type { Services } from '../app/context.js';

/**
 * What only the local server has: the sandbox mounted at /sandbox (SANDBOX=1) with the provider
 * endpoints pointed at it, and the demo page. Filled in by the sandbox and UI work.
 */
export async function localExtras(_services: Services, _env: Record<string, string | undefined>) {
  return {
    mount: [] as Array<{ path: string; app: { fetch: (req: Request) => Response | Promise<Response> } }>,
    onListening(_port: number) {},
    async close() {},
  };
}
