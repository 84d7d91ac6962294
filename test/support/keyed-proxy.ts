// The virtual-key suites' proxy: aliases on one fake upstream (vLLM-shaped, upstream model `<alias>-up`), a master
// key, a /custom pass-through route to the same upstream, and the key store in a temp state dir.
import { join } from 'node:path';
import type { FakeServer } from '../fixtures/recording.ts';
import { startProxyCli, type ProxyCli } from './proxy.ts';
import { tempDir } from './tmp.ts';

export interface KeyedProxyOptions {
  /** Empty: a proxy without a master key. */
  master: string;
  upstream: FakeServer;
  /** Aliases; each may carry more litellm_params as YAML flow text (`input_cost_per_token: 0.001`). */
  aliases: Record<string, string>;
  /** The state dir holding the key store (a fresh one when omitted). */
  stateDir?: string;
  env?: Record<string, string>;
}

export function startKeyedProxy(options: KeyedProxyOptions): Promise<ProxyCli> {
  const url = options.upstream.url;
  const entries = Object.entries(options.aliases).map(([alias, extra]) => `  - model_name: ${alias}
    litellm_params: { model: hosted_vllm/${alias}-up, api_base: ${url}${extra ? `, ${extra}` : ''} }`);
  return startProxyCli({
    config: `model_list:
${entries.join('\n')}
general_settings:
${options.master ? `  master_key: ${options.master}\n` : ''}  pass_through_endpoints:
    - path: /custom
      target: ${url}
      include_subpath: true
`,
    env: { XDG_STATE_HOME: options.stateDir ?? join(tempDir(), 'state'), ...options.env },
  });
}
