/**
 * The `next` cursors this API hands out: base64url of a JSON object tagged (`k`) with the listing that
 * issued it. Decoding is strict: a cursor decodes only when encoding its content gives back the very
 * same text, so an empty, garbled or hand-edited cursor, or another listing's, is refused instead of
 * being read as some position (`next=` and `next=!!!` once read as index 0: Node's base64 decoder
 * skips characters it does not know).
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far above any cursor issued here (a page link of a long query), far below a header's size. */
const MAX_CURSOR_CHARS = 8192;

export type CursorFields = Record<string, string | number>;

export function encodeCursorToken(kind: string, fields: CursorFields): string {
  return Buffer.from(JSON.stringify({ k: kind, ...fields })).toString('base64url');
}

/** The fields of a cursor `kind` issued (none but `allowed`), or undefined for anything else. */
export function decodeCursorToken(
  kind: string,
  text: string,
  allowed: readonly string[],
): CursorFields | undefined {
  if (text.length > MAX_CURSOR_CHARS || !BASE64URL.test(text)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64url')));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { k, ...fields } = parsed as Record<string, unknown>;
  if (k !== kind) return undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (!allowed.includes(key) || (typeof value !== 'string' && typeof value !== 'number')) return undefined;
  }
  // Canonical: the same fields, in the same order, written the same way (no edits, no padding, no junk).
  return encodeCursorToken(kind, fields as CursorFields) === text ? (fields as CursorFields) : undefined;
}
