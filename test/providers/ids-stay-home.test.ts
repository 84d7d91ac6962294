import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listProviders } from '../../src/providers/registry.ts';

const SRC = join(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(SRC, 'providers') ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('provider ids', () => {
  it('are compared or switched on nowhere outside src/providers/ (a quirk belongs in its entry)', () => {
    const ids = listProviders().flatMap((spec) => [spec.id, ...(spec.aliases ?? [])]);
    const alternation = ids.map((id) => id.replace(/[-_]/g, '[-_]')).join('|');
    const compared = new RegExp(`(?:[!=]==?\\s*['"\`](?:${alternation})['"\`])|(?:['"\`](?:${alternation})['"\`]\\s*[!=]==?)|(?:case\\s+['"\`](?:${alternation})['"\`])`);
    const found = sources(SRC).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (compared.test(line) ? [`${relative(SRC, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
