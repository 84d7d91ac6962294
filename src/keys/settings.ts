// A LiteLLM key request's fields read into KeySettings: one reader for /key/generate, /key/update and the CLI.
import { UsageError } from '../errors.ts';
import { parseDuration } from './duration.ts';
import type { KeyChanges, KeySettings } from './key.ts';

const strings = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new UsageError(`${field}: expected a list of strings`);
  return value as string[];
};

const count = (value: unknown, field: string): number | null => {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new UsageError(`${field}: expected a whole number >= 0, or null`);
  return value;
};

const text = (value: unknown, field: string): string | null => {
  if (value === null) return null;
  if (typeof value !== 'string') throw new UsageError(`${field}: expected a string, or null`);
  return value;
};

/**
 * The settings a request body gives (LiteLLM's names; `duration` becomes `expires`), only those present.
 * Unknown LiteLLM fields (user_id, aliases, ...) are ignored, so its scripts run unchanged.
 */
export function settingsFrom(body: Record<string, unknown>, now = Date.now()): KeyChanges {
  const settings: KeyChanges = {};
  if (body.key_alias !== undefined) settings.key_alias = text(body.key_alias, 'key_alias');
  if (body.team_id !== undefined) settings.team_id = text(body.team_id, 'team_id');
  if (body.models !== undefined) settings.models = strings(body.models, 'models');
  if (body.allowed_routes !== undefined) settings.allowed_routes = strings(body.allowed_routes, 'allowed_routes');
  for (const field of ['rpm_limit', 'tpm_limit', 'max_parallel_requests'] as const) if (body[field] !== undefined) settings[field] = count(body[field], field);
  for (const field of ['max_budget', 'spend'] as const) {
    const value = body[field];
    if (value === undefined || (field === 'max_budget' && value === null)) continue;
    if (typeof value !== 'number' || !(value >= 0)) throw new UsageError(`${field}: expected a number of USD >= 0${field === 'max_budget' ? ', or null' : ''}`);
    settings[field] = value;
  }
  if (body.max_budget === null) settings.max_budget = null;
  if (body.budget_duration !== undefined) {
    const duration = text(body.budget_duration, 'budget_duration');
    if (duration !== null) parseDuration(duration, 'budget_duration');
    settings.budget_duration = duration;
  }
  if (body.duration !== undefined) {
    const duration = text(body.duration, 'duration');
    settings.expires = duration === null || duration === 'permanent' ? null : now + parseDuration(duration, 'duration');
  }
  if (body.metadata !== undefined) {
    if (body.metadata === null || typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw new UsageError('metadata: expected an object');
    settings.metadata = body.metadata as Record<string, unknown>;
  }
  if (body.blocked !== undefined) {
    if (typeof body.blocked !== 'boolean') throw new UsageError('blocked: expected true or false');
    settings.blocked = body.blocked;
  }
  return settings;
}

export const DEFAULT_SETTINGS: KeySettings = {
  key_alias: null,
  team_id: null,
  models: [],
  allowed_routes: [],
  rpm_limit: null,
  tpm_limit: null,
  max_parallel_requests: null,
  max_budget: null,
  budget_duration: null,
  expires: null,
  metadata: {},
  blocked: false,
};
