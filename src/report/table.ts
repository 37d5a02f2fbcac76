/** Aligned text tables for the terminal. Cells are measured before painting, so colors never break alignment. */

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/** A cell: its text, and how to paint it (applied after padding). */
export type Cell = string | { text: string; paint: (s: string) => string };

const text = (c: Cell): string => (typeof c === 'string' ? c : c.text);

export function renderTable(columns: readonly Column[], rows: readonly Cell[][], paintHeader: (s: string) => string = (s) => s): string[] {
  const widths = columns.map((col, i) => Math.max(col.header.length, ...rows.map((r) => text(r[i] ?? '').length)));
  const pad = (s: string, i: number): string => (columns[i]!.align === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: string[]): string => cells.join('  ').trimEnd();
  const out = [paintHeader(line(columns.map((c, i) => pad(c.header, i))))];
  for (const row of rows) {
    out.push(
      line(
        columns.map((_, i) => {
          const cell = row[i] ?? '';
          const padded = pad(text(cell), i);
          return typeof cell === 'string' ? padded : cell.paint(padded);
        }),
      ),
    );
  }
  return out;
}
