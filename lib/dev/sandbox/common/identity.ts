import { createHash } from 'node:crypto';

/** An account a sandbox user can approve with: the same `key` always yields the same ids. */
export interface AccountIdentity {
  /** The normalised account string typed or picked on the consent page. */
  key: string;
  /** Human name shown on consent pages and in account answers. */
  displayName: string;
  email: string;
}

/** HubSpot's view of an account: a portal (`hub_id`) and the approving user. */
export interface HubspotIdentity extends AccountIdentity {
  hubId: number;
  userId: number;
  hubDomain: string;
}

/** Dropbox's view of an account: `dbid:` account id and the legacy numeric `uid`. */
export interface DropboxIdentity extends AccountIdentity {
  accountId: string;
  uid: string;
}

/** Account picked when the consent form sends none. */
export const DEFAULT_ACCOUNT = 'demo';

/**
 * Accounts offered by the consent pages' picker. Their hub ids are fixed so docs and
 * tests can name them; any other string maps by hash (see {@link hubspotIdentity}).
 */
export const KNOWN_ACCOUNTS: ReadonlyArray<{ key: string; displayName: string; hubId: number }> = [
  { key: 'demo', displayName: 'Demo Company', hubId: 1000001 },
  { key: 'acme', displayName: 'Acme Corporation', hubId: 1000002 },
  { key: 'globex', displayName: 'Globex Inc.', hubId: 1000003 },
];

/** Trims and lower-cases an account string, so `Acme` and `acme ` are one account. */
export function normaliseAccount(account: string | undefined | null): string {
  const key = (account ?? '').trim().toLowerCase();
  return key === '' ? DEFAULT_ACCOUNT : key.slice(0, 200);
}

function digest(label: string, key: string): Buffer {
  return createHash('sha256').update(`${label}\0${key}`).digest();
}

function baseIdentity(key: string): AccountIdentity {
  const known = KNOWN_ACCOUNTS.find((a) => a.key === key);
  const slug = key.replace(/[^a-z0-9]+/g, '.').replace(/^\.+|\.+$/g, '') || 'user';
  const displayName = known?.displayName ?? key.replace(/(^|\s)\S/g, (s) => s.toUpperCase());
  return { key, displayName, email: `${slug}@example.com` };
}

/**
 * HubSpot identity of an account string. Known accounts get 1000001..1000003; any other
 * string hashes into 2000000..9999999, so it never collides with a known one and is the
 * same in every sandbox instance (reconnecting the same account is recognisable).
 */
export function hubspotIdentity(account: string | undefined | null): HubspotIdentity {
  const key = normaliseAccount(account);
  const known = KNOWN_ACCOUNTS.find((a) => a.key === key);
  const hubId = known?.hubId ?? 2000000 + (digest('hub', key).readUInt32BE(0) % 8000000);
  return {
    ...baseIdentity(key),
    hubId,
    userId: 7000000 + (digest('hub-user', key).readUInt32BE(0) % 1000000),
    hubDomain: `${key.replace(/[^a-z0-9]+/g, '-')}-${hubId}.sandbox.hubspot.local`,
  };
}

/** HubSpot identity for a portal known only by id (private-app tokens carry no account string). */
export function hubspotIdentityForHub(hubId: number): HubspotIdentity {
  const known = KNOWN_ACCOUNTS.find((a) => a.hubId === hubId);
  if (known) return hubspotIdentity(known.key);
  const key = `hub-${hubId}`;
  return { ...hubspotIdentity(key), hubId, hubDomain: `hub-${hubId}.sandbox.hubspot.local` };
}

/** Dropbox identity of an account string: `dbid:AA…` (35 characters after the prefix, like Dropbox's). */
export function dropboxIdentity(account: string | undefined | null): DropboxIdentity {
  const key = normaliseAccount(account);
  const hash = digest('dropbox', key);
  return {
    ...baseIdentity(key),
    accountId: `dbid:AA${hash.toString('base64url').slice(0, 33)}`,
    uid: String(100000000 + (hash.readUInt32BE(28) % 900000000)),
  };
}
