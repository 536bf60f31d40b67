/**
 * Opaque pagination cursors handed to callers (`next`). A cursor names a position this client can
 * resume from: an Intercom page link (plus items of that page already returned), or a scroll_param;
 * and the operation it belongs to, so another operation's cursor (a users scroll for companies, a
 * tags offset for segments) is refused rather than followed.
 */
import { type CursorFields, decodeCursorToken, encodeCursorToken } from '../validation/cursor-token.ts';
import { IntercomCursorError } from './errors.ts';

export type Cursor =
  /** A page link relative to the base URL (`/users?page=2&per_page=50`), skipping `skip` items of it. */
  | { kind: 'link'; path: string; skip: number }
  | { kind: 'scroll'; param: string }
  /** A list Intercom sends whole (tags, segments, teams...), cut by `limit`: resume after `skip` items. */
  | { kind: 'offset'; skip: number };

const KIND = 'action';
const FIELDS = ['op', 'l', 's', 'sc', 'o'];

export function encodeCursor(operation: string, cursor: Cursor): string {
  const fields: CursorFields =
    cursor.kind === 'link'
      ? { op: operation, l: cursor.path, ...(cursor.skip ? { s: cursor.skip } : {}) }
      : cursor.kind === 'scroll'
        ? { op: operation, sc: cursor.param }
        : { op: operation, o: cursor.skip };
  return encodeCursorToken(KIND, fields);
}

function read(c: CursorFields): Cursor | undefined {
  const count = Object.keys(c).length;
  if (typeof c.l === 'string' && c.l.startsWith('/') && count === (c.s === undefined ? 2 : 3)) {
    const skip = c.s ?? 0;
    if (Number.isSafeInteger(skip) && (skip as number) >= 0)
      return { kind: 'link', path: c.l, skip: skip as number };
  }
  if (typeof c.sc === 'string' && c.sc.length > 0 && count === 2) return { kind: 'scroll', param: c.sc };
  if (Number.isSafeInteger(c.o) && (c.o as number) > 0 && count === 2)
    return { kind: 'offset', skip: c.o as number };
  return undefined;
}

/** Decodes a cursor `operation` returned; anything else is an IntercomCursorError. */
export function decodeCursor(operation: string, value: string): Cursor {
  const fields = decodeCursorToken(KIND, value, FIELDS);
  const cursor = fields ? read(fields) : undefined;
  // Canonical: exactly what encodeCursor writes for it.
  if (!fields || !cursor || encodeCursor(String(fields.op), cursor) !== value)
    throw new IntercomCursorError('The cursor is not one this API returned');
  if (fields.op !== operation) throw new IntercomCursorError(`That cursor does not belong to ${operation}`);
  return cursor;
}
