// `llmpass keys ...`: flags to a LiteLLM key request, the local store or a proxy (src/keys/admin.ts), and the
// answer as a table, lines or JSON. A key is printed once, by `keys create`; everything else shows `sk-...wxyz`.
import { Chalk } from 'chalk';
import { logTarget } from '../../accounting/log/open.ts';
import { UsageError } from '../../errors.ts';
import type { KeyAdmin, KeyView } from '../../keys/admin.ts';
import { renderTable } from '../render/table.ts';
import { writeChunk } from '../render/write.ts';

export interface KeyTargetFlags {
  db?: string | undefined;
  proxy?: string | undefined;
}

export interface KeySettingFlags {
  alias?: string | undefined;
  models?: string | undefined;
  routes?: string | undefined;
  budget?: string | undefined;
  'budget-duration'?: string | undefined;
  rpm?: number | undefined;
  tpm?: number | undefined;
  parallel?: number | undefined;
  expires?: string | undefined;
  team?: string | undefined;
  metadata?: string | undefined;
}

async function openAdmin(flags: KeyTargetFlags): Promise<KeyAdmin> {
  const admin = await import('../../keys/admin.ts');
  if (flags.proxy) return admin.remoteAdmin(flags.proxy, process.env.LLMPASS_MASTER_KEY);
  const { openKeyStore } = await import('../../keys/open.ts');
  return admin.localAdmin(await openKeyStore(logTarget({ flag: flags.db, env: process.env })));
}

async function withAdmin<T>(flags: KeyTargetFlags, work: (admin: KeyAdmin) => Promise<T>): Promise<T> {
  const admin = await openAdmin(flags);
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

const list = (text: string | undefined) => text?.split(',').map((item) => item.trim()).filter(Boolean);

/** The flags as LiteLLM's request fields (only those given). */
export function keyRequest(flags: KeySettingFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.alias !== undefined) body.key_alias = flags.alias;
  if (flags.models !== undefined) body.models = list(flags.models);
  if (flags.routes !== undefined) body.allowed_routes = list(flags.routes);
  if (flags.budget !== undefined) {
    const budget = Number(flags.budget);
    if (!(budget >= 0)) throw new UsageError(`--budget "${flags.budget}": give USD, e.g. 5 or 0.5`);
    body.max_budget = budget;
  }
  if (flags['budget-duration'] !== undefined) body.budget_duration = flags['budget-duration'];
  if (flags.rpm !== undefined) body.rpm_limit = flags.rpm;
  if (flags.tpm !== undefined) body.tpm_limit = flags.tpm;
  if (flags.parallel !== undefined) body.max_parallel_requests = flags.parallel;
  if (flags.expires !== undefined) body.duration = flags.expires;
  if (flags.team !== undefined) body.team_id = flags.team;
  if (flags.metadata !== undefined) {
    try {
      body.metadata = JSON.parse(flags.metadata) as unknown;
    } catch {
      throw new UsageError(`--metadata: expected a JSON object, e.g. '{"owner":"ci"}'`);
    }
  }
  return body;
}

const chalk = new Chalk({ level: 0 });
const usd = (value: unknown) => (typeof value === 'number' ? `$${value.toFixed(4).replace(/0{1,2}$/, '')}` : '–');
const status = (view: KeyView) => (view.blocked ? 'revoked' : typeof view.expires === 'string' && Date.parse(view.expires) <= Date.now() ? 'expired' : 'active');

function describe(view: KeyView): string {
  const lines: Array<[string, unknown]> = [
    ['key', view.key_name],
    ['alias', view.key_alias ?? '–'],
    ['status', status(view)],
    ['team', view.team_id ?? '–'],
    ['models', (view.models as string[]).join(', ') || 'all'],
    ['routes', (view.allowed_routes as string[]).join(', ') || 'all'],
    ['budget', view.max_budget === null ? 'none' : `${usd(view.max_budget)}${view.budget_duration ? ` per ${view.budget_duration as string}` : ''}`],
    ['spend', `${usd(view.spend)}${view.budget_reset_at ? ` (resets ${view.budget_reset_at as string})` : ''}`],
    ['calls', view.calls],
    ['tokens', `${view.input_tokens as number} in, ${view.output_tokens as number} out`],
    ['limits', `rpm ${view.rpm_limit ?? '–'}, tpm ${view.tpm_limit ?? '–'}, parallel ${view.max_parallel_requests ?? '–'}`],
    ['expires', view.expires ?? 'never'],
  ];
  const team = view.team_spend as Record<string, unknown> | undefined;
  if (team) lines.push([`team ${team.team_id as string}`, `${usd(team.spend)} over ${team.keys as number} keys, ${team.calls as number} calls, ${team.input_tokens as number} in, ${team.output_tokens as number} out`]);
  return lines.map(([name, value]) => `${name.padEnd(8)} ${String(value)}`).join('\n') + '\n';
}

export async function createKey(flags: KeyTargetFlags & KeySettingFlags, json: boolean): Promise<KeyView> {
  const view = await withAdmin(flags, (admin) => admin.generate(keyRequest(flags)));
  if (!json) {
    await writeChunk(process.stdout, `${view.key as string}\n`);
    process.stderr.write(`key ${view.key_alias ? `"${view.key_alias as string}" ` : ''}created; it is shown only now: store it in your secret manager\n`);
  }
  return view;
}

export async function listKeys(flags: KeyTargetFlags, json: boolean): Promise<KeyView[]> {
  const views = await withAdmin(flags, (admin) => admin.list());
  if (!json) {
    const rows = views.map((v) => [String(v.key_alias ?? '–'), String(v.key_name), status(v), String(v.team_id ?? '–'), (v.models as string[]).join(',') || 'all', `${usd(v.spend)}/${v.max_budget === null ? '–' : usd(v.max_budget)}`, String(v.expires ?? 'never')]);
    await writeChunk(process.stdout, views.length ? renderTable(['ALIAS', 'KEY', 'STATUS', 'TEAM', 'MODELS', 'SPEND/BUDGET', 'EXPIRES'], rows, chalk) + '\n' : 'no keys yet: llmpass keys create --alias NAME\n');
  }
  return views;
}

export async function keyInfo(ref: string, flags: KeyTargetFlags, json: boolean): Promise<KeyView> {
  const view = await withAdmin(flags, (admin) => admin.info(ref));
  if (!json) await writeChunk(process.stdout, describe(view));
  return view;
}

export async function updateKeyCommand(ref: string, flags: KeyTargetFlags & KeySettingFlags, json: boolean, extra: Record<string, unknown> = {}): Promise<KeyView> {
  const body = { ...keyRequest(flags), ...extra };
  if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give a flag such as --models, --budget or --rpm');
  const view = await withAdmin(flags, (admin) => admin.update(ref, body));
  if (!json) await writeChunk(process.stdout, describe(view));
  return view;
}
