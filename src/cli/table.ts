import { stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';

/** Cells may carry colour; widths are measured without it. */
function width(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** Columns aligned with two spaces between them, the last one left ragged so a long reason does not pad others. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, chalk: ChalkInstance): string {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - width(cell))))
      .join('  ')
      .trimEnd();
  return [chalk.bold(line(headers.map((header) => header.toUpperCase()))), ...rows.map(line)].join('\n');
}
