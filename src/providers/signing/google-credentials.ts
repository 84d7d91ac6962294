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

/** Standard or URL-safe base64 (CI secret stores hold keys this way); whitespace from line wrapping allowed. */
const BASE64 = /^[A-Za-z0-9+/_\-\s]+={0,2}\s*$/;

function readKeyFile(path: string, who: string, setting: string): string {
  const cached = files.get(path);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // The value is never quoted: a key that was not recognised as one lands here, taken for a path.
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new MissingSettingError(`${who}: ${setting} is not a Google key (JSON, base64 JSON) and not a readable file (${code})`);
  }
  files.set(path, text);
  return text;
}

/** The key's JSON text from its inline forms: JSON, JSON inside a JSON string, base64 of either; else undefined. */
function inlineKey(text: string, depth = 0): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return trimmed;
  if (depth > 2) return undefined;
  if (trimmed.startsWith('"')) {
    try {
      const inner: unknown = JSON.parse(trimmed);
      return typeof inner === 'string' ? inlineKey(inner, depth + 1) : undefined;
    } catch {
      return trimmed;
    }
  }
  if (trimmed.length >= 16 && BASE64.test(trimmed)) {
    const decoded = Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/^\s*["{]/.test(decoded)) return inlineKey(decoded, depth + 1);
  }
  return undefined;
}

/** The setting that holds the key, named as a person would look for it: never its value. */
function configuredKey(settings: ProviderSettings): { text: string; setting: string } | undefined {
  const configured = settings.text('vertex_credentials');
  if (configured) return { text: configured, setting: 'litellm_params.vertex_credentials' };
  const fromEnv = firstEnv(CREDENTIAL_ENV, settings.env);
  return fromEnv ? { text: fromEnv.value, setting: fromEnv.name } : undefined;
}

/**
 * `vertex_credentials` as LiteLLM takes it, and as CI secret stores hold it: a path to a key file, the key's JSON
 * inline (a YAML mapping counts), the JSON as a JSON string, or base64 of either. No message quotes the value: it
 * holds a private key.
 */
export function googleCredentialSource(settings: ProviderSettings): GoogleCredentialSource {
  const configured = configuredKey(settings);
  if (!configured) return { kind: 'adc' };
  const { setting } = configured;
  const text = inlineKey(configured.text) ?? inlineKey(readKeyFile(configured.text.trim(), settings.who, setting)) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MissingSettingError(`${settings.who}: the Google credentials in ${setting} are not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MissingSettingError(`${settings.who}: the Google credentials in ${setting} must be a JSON object (a service-account key or an ADC file)`);
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
