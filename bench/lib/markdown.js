// Markdown table cells and rows for the bench reports.
export const bytes = (n) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));
export const ms = (t) => (t === undefined ? '-' : t < 10 ? t.toFixed(1) : Math.round(t).toLocaleString('en-US'));
export const ratio = (r) => (r === undefined ? '-' : r.toFixed(2));
export const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;
export const row = (cells) => `| ${cells.join(' | ')} |`;
export const header = (cells) => [row(cells), row(cells.map(() => '---'))];
