import { readFileSync } from 'node:fs';
import { firstEnv } from '../../config/env.ts';
import { MissingSettingError } from '../../errors.ts';
import type { ProviderSettings } from '../types.ts';

/** Where a Vertex deployment's Google credentials come from: a key (file or inline JSON), or Application Default Credentials. */
export type GoogleCredentialSource =
  | { kind: 'json'; json: Record<string, unknown>; id: string }
  | { kind: 'adc' };

/** LiteLLM's SDK and pass-through variables, then Google's own (the config's environment counts too). */
const CREDENTIAL_ENV = ['VERTEXAI_CREDENTIALS', 'DEFAULT_GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'];

const files = new Map<string, string>();

function readKeyFile(path: string, who: string): string {
  const cached = files.get(path);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MissingSettingError(`${who}: cannot read the Google credentials file ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  files.set(path, text);
  return text;
}

/**
 * `vertex_credentials` as LiteLLM takes it: a path to a key file, or the key's JSON inline (a YAML mapping counts).
 * A parse error never quotes the text: it holds a private key.
 */
export function googleCredentialSource(settings: ProviderSettings): GoogleCredentialSource {
  const configured = settings.text('vertex_credentials') ?? firstEnv(CREDENTIAL_ENV, settings.env)?.value;
  if (!configured) return { kind: 'adc' };
  const inline = configured.trimStart().startsWith('{');
  const text = inline ? configured : readKeyFile(configured, settings.who);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MissingSettingError(`${settings.who}: the Google credentials ${inline ? '(inline vertex_credentials)' : `in ${configured}`} are not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MissingSettingError(`${settings.who}: the Google credentials must be a JSON object (a service-account key or an ADC file)`);
  }
  // node:crypto only when a key is used: the provider table (and so this file) loads with every command.
  const id = process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
  return { kind: 'json', json: json as Record<string, unknown>, id };
}

/** The project a key names (`project_id`), for deployments that set none. */
export function credentialProject(settings: ProviderSettings): string | undefined {
  const source = googleCredentialSource(settings);
  if (source.kind !== 'json') return undefined;
  const project = source.json.project_id ?? source.json.quota_project_id;
  return typeof project === 'string' && project ? project : undefined;
}
