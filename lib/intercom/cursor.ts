/**
 * Opaque pagination cursors handed to callers (`next`). A cursor names a position this client can
 * resume from: an Intercom page link (plus items of that page already returned), or a scroll_param.
 */
import { IntercomCursorError } from './errors.ts';

export type Cursor =
  /** A page link relative to the base URL (`/users?page=2&per_page=50`), skipping `skip` items of it. */
  | { kind: 'link'; path: string; skip: number }
  | { kind: 'scroll'; param: string }
  /** A list Intercom sends whole (tags, segments, teams...), cut by `limit`: resume after `skip` items. */
  | { kind: 'offset'; skip: number };

export function encodeCursor(cursor: Cursor): string {
  const compact =
    cursor.kind === 'link'
      ? { l: cursor.path, s: cursor.skip || undefined }
      : cursor.kind === 'scroll'
        ? { sc: cursor.param }
        : { o: cursor.skip };
  return Buffer.from(JSON.stringify(compact)).toString('base64url');
}

/** Decodes a cursor; anything this client did not produce is an IntercomCursorError. */
export function decodeCursor(value: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw new IntercomCursorError('The cursor is not one this API returned');
  }
  const c = parsed as { l?: unknown; s?: unknown; sc?: unknown; o?: unknown } | null;
  if (c && typeof c.l === 'string' && c.l.startsWith('/')) {
    const skip = c.s === undefined ? 0 : c.s;
    if (typeof skip === 'number' && Number.isInteger(skip) && skip >= 0)
      return { kind: 'link', path: c.l, skip };
  }
  if (c && typeof c.sc === 'string' && c.sc.length > 0) return { kind: 'scroll', param: c.sc };
  if (c && typeof c.o === 'number' && Number.isInteger(c.o) && c.o > 0) return { kind: 'offset', skip: c.o };
  throw new IntercomCursorError('The cursor is not one this API returned');
}
