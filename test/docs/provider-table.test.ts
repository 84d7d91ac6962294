// The README's provider table is generated from the provider table; CI's check fails when it is stale.
import { describe, expect, it } from 'vitest';
import { builtInProviderTable, checkProviderTable, END, renderProviderTable, replaceProviderTable, START } from '../../scripts/provider-table.ts';
import { listProviders } from '../../src/providers/registry.ts';

const table = builtInProviderTable();
const readme = (inside: string) => `# llmpass\n\n## Providers\n\n${START}\n${inside}\n${END}\n\n## Development\n`;

describe('README provider table', () => {
  it('has a row per built-in provider with id, aliases, route, default base, auth and key variables', () => {
    const rows = table.split('\n').slice(2);
    expect(rows).toHaveLength(listProviders().length);
    expect(table.split('\n')[0]).toBe('| Provider | Id | Aliases | Route | Default base | Auth | Key variables |');
    expect(rows).toContain('| vLLM | `hosted_vllm` | `vllm` | `/vllm` | none: set `api_base` | Bearer | `HOSTED_VLLM_API_KEY`, `VLLM_API_KEY` (optional) |');
    expect(rows).toContain('| Anthropic | `anthropic` | – | `/anthropic` | `https://api.anthropic.com` | `x-api-key` header | `ANTHROPIC_API_KEY` |');
  });

  it('passes when the README holds the current table, and fails when it is stale', () => {
    expect(checkProviderTable(readme(table), table)).toEqual({ ok: true });
    const stale = readme(table.replace('`/vllm`', '`/hosted_vllm`'));
    const result = checkProviderTable(stale, table);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(/stale: run `npm run docs:providers`/);
    expect(checkProviderTable(readme(''), table).ok).toBe(false);
  });

  it('fails clearly when there is no README or it lacks the markers', () => {
    expect(checkProviderTable(undefined, table)).toEqual({ ok: false, problem: 'there is no README.md to check' });
    const none = checkProviderTable('# llmpass\n', table);
    expect(!none.ok && none.problem).toBe(`the README lacks ${START} and ${END}: add both markers, on their own lines, where the provider table goes`);
    const half = replaceProviderTable(`# x\n${START}\n`, table);
    expect(!half.ok && half.problem).toContain(`lacks ${END}`);
    const reversed = replaceProviderTable(`${END}\n${START}\n`, table);
    expect(!reversed.ok && reversed.problem).toBe(`${END} comes before ${START} in the README`);
  });

  it('writes only between the markers, and writing twice changes nothing', () => {
    const first = replaceProviderTable(readme('old table'), table);
    expect(first.ok && first.changed).toBe(true);
    if (!first.ok) return;
    expect(first.text).toBe(readme(table));
    const second = replaceProviderTable(first.text, table);
    expect(second.ok && !second.changed && second.text === first.text).toBe(true);
  });

  it('checks a table under other markers (the SDK table) with a fix of its own', () => {
    const markers = { start: '<!-- sdks:start -->', end: '<!-- sdks:end -->' };
    const text = `# x\n${markers.start}\n| old |\n${markers.end}\n`;
    const result = checkProviderTable(text, '| new |', markers);
    expect(!result.ok && result.problem).toBe(`the table in the README is stale: put the current table between ${markers.start} and ${markers.end} and commit README.md`);
    expect(checkProviderTable(text.replace('old', 'new'), '| new |', markers)).toEqual({ ok: true });
  });

  it('escapes pipes inside cells', () => {
    const rendered = renderProviderTable([
      { id: 'x', label: 'A | B', aliases: [], routePrefix: '/x', defaultApiBase: null, auth: 'none', authKind: 'none', keyVariables: [], keyRequired: false, baseVariables: [] },
    ]);
    expect(rendered.split('\n')[2]).toBe('| A \\| B | `x` | – | `/x` | none: set `api_base` | none | – |');
  });
});
