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

/** Narrows the widest columns, one character at a time, until the line fits; undefined when it cannot. */
function narrowed(widths: number[], headers: readonly string[], maxWidth: number): number[] | undefined {
  const sizes = [...widths];
  // The first column names the row: it is never cut.
  const floor = headers.map((header, column) => (column === 0 ? widths[0]! : Math.max(width(header), MIN_COLUMN)));
  let total = sizes.reduce((sum, size) => sum + size, 0) + GAP * (sizes.length - 1);
  while (total > maxWidth) {
    let widest = -1;
    for (let column = 0; column < sizes.length; column++) {
      if (sizes[column]! > floor[column]! && (widest < 0 || sizes[column]! > sizes[widest]!)) widest = column;
    }
    if (widest < 0) return undefined;
    sizes[widest]!--;
    total--;
  }
  return sizes;
}

/** Each row as `header: value` lines, rows apart: what a terminal too narrow for the columns gets. */
function stacked(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, chalk: ChalkInstance, maxWidth: number): string {
  const label = Math.max(...headers.map(width));
  return rows
    .map((row) => headers.map((header, column) => `${chalk.bold(header.padEnd(label))}  ${fit(row[column] ?? '', Math.max(1, maxWidth - label - GAP))}`).join('\n'))
    .join('\n\n');
}

/**
 * Columns aligned with two spaces between them, the last one left ragged so a long reason does not pad others.
 * With `maxWidth` (a terminal's columns), the widest cells are cut with `…` so no line wraps, and a terminal too
 * narrow even for that gets each row stacked as `header value` lines.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, chalk: ChalkInstance, maxWidth?: number): string {
  const natural = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const widths = maxWidth ? narrowed(natural, headers, maxWidth) : natural;
  if (!widths) return stacked(headers, rows, chalk, maxWidth!);
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
