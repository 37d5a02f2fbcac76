/** Number formatting for error messages: addresses always as 0x + 8 upper-case digits. */

export function hexAddress(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** An offset, size or field value: 0x + as many digits as needed. */
export function hex(value: number): string {
  return `0x${value.toString(16).toUpperCase()}`;
}

export function hexByte(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(2, '0')}`;
}
