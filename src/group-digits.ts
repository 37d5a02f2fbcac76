/**
 * 12,345 for 12345, as toLocaleString('en-US') writes it. Integers are grouped by hand: the first
 * toLocaleString() of a process loads ICU's locale data, about 90 ms of CPU for one figure (issue 13).
 * Other numbers keep toLocaleString.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}
