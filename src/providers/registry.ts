import { UsageError } from '../errors.ts';
import { anthropic } from './anthropic.ts';
import { azure } from './azure.ts';
import { bedrock } from './bedrock.ts';
import { cohere } from './cohere.ts';
import { gemini } from './gemini.ts';
import { ollama } from './ollama.ts';
import { openai, openAiCompatibles } from './openai.ts';
import type { ProviderSpec } from './types.ts';
import { vertexAi } from './vertex.ts';
import { vllm } from './vllm.ts';

/** The table everything reads: the CLI, the proxy's routes, the docs. Adding a provider is adding an entry. */
const table = new Map<string, ProviderSpec>();
const byName = new Map<string, ProviderSpec>();

const ID_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** What any table entry must be, registered or declared by a config. */
export function checkProviderSpec(spec: ProviderSpec): ProviderSpec {
  if (!ID_PATTERN.test(spec.id)) throw new UsageError(`provider id "${spec.id}" must be lower-case letters, digits, _ or -`);
  if (!spec.routePrefix.startsWith('/')) throw new UsageError(`provider "${spec.id}": routePrefix must start with "/"`);
  return spec;
}

/** Adds a provider (or replaces one with the same id), so the library and config-declared providers can extend the table. */
export function registerProvider(spec: ProviderSpec): ProviderSpec {
  checkProviderSpec(spec);
  const previous = table.get(spec.id);
  if (previous) for (const name of [previous.id, ...(previous.aliases ?? [])]) byName.delete(name);
  table.set(spec.id, spec);
  for (const name of [spec.id, ...(spec.aliases ?? [])]) byName.set(name, spec);
  return spec;
}

export function findProvider(name: string): ProviderSpec | undefined {
  return byName.get(name);
}

export function listProviders(): ProviderSpec[] {
  return [...table.values()];
}

/** Every name a model string may start with, for suggestions. */
export function providerNames(): string[] {
  return [...byName.keys()];
}

for (const spec of [vllm, openai, anthropic, gemini, azure, bedrock, vertexAi, cohere, ollama, ...openAiCompatibles]) registerProvider(spec);
