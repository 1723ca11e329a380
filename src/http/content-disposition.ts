/**
 * `attachment` with the original filename (RFC 6266): an ASCII fallback for old clients, and `filename*` in
 * UTF-8 (RFC 8187) for everyone else, so any Unicode name survives and nothing can break out of the header.
 */
export function attachment(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
