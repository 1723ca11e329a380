import type { ByteRange } from '../ports/blob-storage.ts';

/**
 * The one range of a `Range: bytes=…` header (RFC 9110 §14.2), clamped to the file; undefined means "send the
 * whole file" (no header, a malformed one, or several ranges, which a server may ignore); `unsatisfiable`
 * means the range lies past the end (answered 416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // a suffix: the last N bytes
    const length = Number(last);
    return length === 0 ? 'unsatisfiable' : { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  return start >= size ? 'unsatisfiable' : { start, end };
}
