/**
 * The connect flows (docs/design.md, "OAuth"): the one public entry of `lib/oauth`. Sessions
 * persist in `sessions.ts`, the web and headless flows run in `flows.ts`, imports of grants made
 * elsewhere in `import.ts`; `return-urls.ts`, `pkce.ts` and `signing.ts` hold the checks they use.
 */
export {
  bindingCookie,
  ConnectFlows,
  type ConnectFlowsDeps,
  type ConnectSession,
  FlowError,
  type FlowErrorCode,
} from './flows.js';
export { type ImportDeps, type ImportedGrant, importConnection } from './import.js';
export { pkcePair } from './pkce.js';
export { allowedOrigins, isAllowedReturnUrl } from './return-urls.js';
export { ConnectSessions, type SessionRecord, sessionTtlMs } from './sessions.js';
export { SigningKey, signConnectToken, verifyConnectToken } from './signing.js';
