import type { ProviderName } from '../../config.js';
import { createDemo } from '../../http/ui/demo/index.js';
import type { Services } from '../../services.js';

type Mount = { path: string; app: { fetch: (req: Request) => Response | Promise<Response> } };

/** The sandbox's own OAuth apps (lib/sandbox defaults), used as the platform apps in sandbox mode. */
export const sandboxApps: Record<ProviderName, { clientId: string; clientSecret: string }> = {
  hubspot: { clientId: 'sandbox-hubspot-app', clientSecret: 'sandbox-hubspot-secret' },
  dropbox: { clientId: 'sandbox-dropbox-app', clientSecret: 'sandbox-dropbox-secret' },
};

/**
 * What only the local server has, and only with SANDBOX=1: the HubSpot and Dropbox simulators
 * mounted at /sandbox, the provider endpoints pointed at them (unless set explicitly), the
 * sandbox's apps as the platform apps, and the demo app at `/` (a pretend SaaS page with its
 * backend). Without the sandbox nothing is mounted.
 */
export async function localExtras(services: Services, env: Record<string, string | undefined>) {
  const { config } = services;
  // The demo plays a SaaS product against the simulators; with real provider apps it has no place.
  if (!config.sandbox) return { mount: [] as Mount[], onListening: () => {}, close: async () => {} };
  const demo = createDemo(services);
  const mount: Mount[] = [];

  const { createSandbox } = await import('../sandbox/index.js');
  const sandbox = createSandbox();
  mount.push({ path: '/sandbox', app: sandbox.app });
  mount.push(demo.mount);
  for (const p of ['hubspot', 'dropbox'] as const) {
    if (!config.apps[p].clientId) {
      config.apps[p].clientId = sandboxApps[p].clientId;
      config.apps[p].clientSecret = sandboxApps[p].clientSecret;
    }
  }
  const set = (name: string) => Boolean(env[name]?.trim());
  return {
    mount,
    sandbox,
    onListening(port: number) {
      // The browser reaches the sandbox through the public URL; server-side calls go straight to loopback.
      const browser = `${config.publicUrl}/sandbox`;
      const server = `http://127.0.0.1:${port}/sandbox`;
      const e = config.endpoints;
      if (!set('HUBSPOT_AUTH_URL')) e.hubspot.authUrl = `${browser}/hubspot/oauth/authorize`;
      if (!set('HUBSPOT_API_URL')) e.hubspot.apiUrl = `${server}/hubspot/api`;
      if (!set('DROPBOX_AUTH_URL')) e.dropbox.authUrl = `${browser}/dropbox/oauth2/authorize`;
      if (!set('DROPBOX_API_URL')) e.dropbox.apiUrl = `${server}/dropbox/api`;
      if (!set('DROPBOX_CONTENT_URL')) e.dropbox.contentUrl = `${server}/dropbox/content`;
      demo.onListening(port);
    },
    close: demo.close,
  };
}
