// Temporary directories and config files for tests: real files on disk, removed by cleanupTemp().
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const made: string[] = [];

/** A fresh empty directory under the system temp dir. */
export function tempDir(prefix = 'llmpass-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes `files` (relative path → content) under `dir`, creating folders; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): string {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** A temp directory holding `llmpass.config.yaml` with `yaml` (plus any other files). */
export function tempConfig(yaml: string, files: Record<string, string | Uint8Array> = {}): string {
  return writeFiles(tempDir(), { 'llmpass.config.yaml': yaml, ...files });
}

/** Removes every directory made by tempDir() so far. */
export function cleanupTemp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
