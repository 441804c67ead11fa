import { dropbox } from './dropbox/provider.js';
import { hubspot } from './hubspot/provider.js';
import type { ProviderDeclaration } from './types.js';

/** Every provider Portico speaks to: a new provider is its folder plus one line here. */
const declared = [hubspot, dropbox] as const;

/** A provider's name in Portico's API (`hubspot`, `dropbox`, …). */
export type ProviderName = (typeof declared)[number]['name'];

/** The provider names, in the order they are declared (docs and listings follow it). */
export const providerNames: readonly [ProviderName, ...ProviderName[]] = [
  declared[0].name,
  ...declared.slice(1).map((p) => p.name),
];

const byName = new Map<string, ProviderDeclaration<ProviderName>>(declared.map((p) => [p.name, p]));

/** Reads the provider declarations; the only place that knows which providers exist. */
export const providers = {
  /** The declaration of a provider; every {@link ProviderName} has one. */
  get(name: ProviderName): ProviderDeclaration<ProviderName> {
    const provider = byName.get(name);
    if (!provider) throw new Error(`No provider is declared as "${name}".`);
    return provider;
  },
  /** Whether `name` is a declared provider (for input that has not passed a schema). */
  has(name: string): name is ProviderName {
    return byName.has(name);
  },
  all(): readonly ProviderDeclaration<ProviderName>[] {
    return declared;
  },
};
