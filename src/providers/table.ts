import { checkProviderSpec, findProvider, listProviders, providerNames } from './registry.ts';
import type { ProviderSpec } from './types.ts';

/** The providers one config can call, by id or alias: what model refs, routes and the `providers` command read. */
export interface ProviderTable {
  find(name: string): ProviderSpec | undefined;
  /** In table order: built-ins, then `registerProvider()` additions, then the config's own new ids. */
  list(): ProviderSpec[];
  /** Every name a model string may start with, for suggestions. */
  names(): string[];
}

/** The process-wide table alone: built-ins and `registerProvider()` additions. */
export const registeredProviders: ProviderTable = { find: findProvider, list: listProviders, names: providerNames };

/**
 * Built-ins, then `registerProvider()` additions (read live), then `own` (a config's declared providers) replacing
 * any with the same id. Nothing is written to the process-wide registry: two configs never see each other's.
 */
export function layeredProviderTable(own: readonly ProviderSpec[]): ProviderTable {
  if (own.length === 0) return registeredProviders;
  const ownById = new Map<string, ProviderSpec>();
  for (const spec of own) ownById.set(checkProviderSpec(spec).id, spec);
  const ownByName = new Map<string, ProviderSpec>();
  for (const spec of ownById.values()) for (const name of [spec.id, ...(spec.aliases ?? [])]) ownByName.set(name, spec);
  const list = () => {
    const below = listProviders();
    const replaced = below.map((spec) => ownById.get(spec.id) ?? spec);
    const added = [...ownById.values()].filter((spec) => !below.some((b) => b.id === spec.id));
    return [...replaced, ...added];
  };
  return {
    find(name) {
      const mine = ownByName.get(name);
      if (mine) return mine;
      const below = findProvider(name);
      // a registered entry the config replaced is gone, aliases and all
      return below && !ownById.has(below.id) ? below : undefined;
    },
    list,
    names: () => list().flatMap((spec) => [spec.id, ...(spec.aliases ?? [])]),
  };
}
