import { stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';

/** Cells may carry colour; widths are measured without it. */
function width(text: string): number {
  return stripVTControlCharacters(text).length;
}

const GAP = 2;
/** A column is not narrowed below this (or its header's width): past that, rows are stacked instead. */
const MIN_COLUMN = 8;

/** Cut to `size` columns with an ellipsis (a cut cell loses its colour: the escape codes cannot be cut safely). */
function fit(cell: string, size: number): string {
  if (width(cell) <= size) return cell;
  return `${stripVTControlCharacters(cell).slice(0, Math.max(0, size - 1))}…`;
}

/**
 * Narrows the widest columns, one character at a time, until the line fits; undefined when it cannot, or when it
 * would have to cut a `kept` column (what a reader came for: why an alias is unusable), which stacked rows show whole.
 */
function narrowed(widths: number[], headers: readonly string[], maxWidth: number, kept: ReadonlySet<string>): number[] | undefined {
  const sizes = [...widths];
  // The first column names the row: it is never cut.
  const floor = headers.map((header, column) => (column === 0 ? widths[0]! : Math.max(width(header), MIN_COLUMN)));
  let total = sizes.reduce((sum, size) => sum + size, 0) + GAP * (sizes.length - 1);
  while (total > maxWidth) {
    let widest = -1;
    for (let column = 0; column < sizes.length; column++) {
      if (kept.has(headers[column]!)) continue;
      if (sizes[column]! > floor[column]! && (widest < 0 || sizes[column]! > sizes[widest]!)) widest = column;
    }
    if (widest < 0) return undefined;
    sizes[widest]!--;
    total--;
  }
  return sizes;
}

/** A kept cell over `size` columns, on as many lines as it takes, each after `indent` (its colour dropped). */
function wrapped(cell: string, size: number, indent: string): string {
  const text = stripVTControlCharacters(cell);
  if (text.length <= size) return cell;
  // Greedy by words; a word longer than a line is split where the line ends.
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const joined = line ? `${line} ${word}` : word;
    if (joined.length <= size) {
      line = joined;
      continue;
    }
    if (line) lines.push(line);
    let rest = word;
    while (rest.length > size) {
      lines.push(rest.slice(0, size));
      rest = rest.slice(size);
    }
    line = rest;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

/**
 * Each row as `header: value` lines, rows apart: what a terminal too narrow for the columns gets. A kept column's
 * value is wrapped, never cut.
 */
function stacked(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, chalk: ChalkInstance, maxWidth: number, kept: ReadonlySet<string>): string {
  const label = Math.max(...headers.map(width));
  const size = Math.max(1, maxWidth - label - GAP);
  const indent = ' '.repeat(label + GAP);
  return rows
    .map((row) => headers.map((header, column) => `${chalk.bold(header.padEnd(label))}  ${kept.has(header) ? wrapped(row[column] ?? '', size, indent) : fit(row[column] ?? '', size)}`).join('\n'))
    .join('\n\n');
}

/**
 * Columns aligned with two spaces between them, the last one left ragged so a long reason does not pad others.
 * With `maxWidth` (a terminal's columns), the widest cells are cut with `…` so no line wraps, and a terminal too
 * narrow even for that gets each row stacked as `header value` lines. Columns named in `kept` are never cut in
 * columns: rows are stacked instead.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, chalk: ChalkInstance, maxWidth?: number, kept: readonly string[] = []): string {
  const natural = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const keptSet = new Set(kept);
  const widths = maxWidth ? narrowed(natural, headers, maxWidth, keptSet) : natural;
  if (!widths) return stacked(headers, rows, chalk, maxWidth!, keptSet);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const shown = maxWidth ? fit(cell, widths[column]!) : cell;
        return column === cells.length - 1 ? shown : shown + ' '.repeat(widths[column]! - width(shown));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [chalk.bold(line(headers.map((header) => header.toUpperCase()))), ...rows.map(line)].join('\n');
}

/** The terminal's width when stdout is one (a pty of 0 columns has none); piped output is never cut. */
export function terminalWidth(out: NodeJS.WriteStream = process.stdout): number | undefined {
  return out.isTTY && out.columns > 0 ? out.columns : undefined;
}
