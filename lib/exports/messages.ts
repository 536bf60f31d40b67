/** The body of one export queue message: which export to carry forward. */
import type { ExportRef } from './store.ts';

export interface ExportMessage extends ExportRef {
  v: 1;
}

export function encodeExportMessage(ref: ExportRef): string {
  return JSON.stringify({ v: 1, workspace: ref.workspace, ownerId: ref.ownerId, exportId: ref.exportId });
}

export function decodeExportMessage(body: string): ExportMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<ExportMessage>;
    if (
      m?.v === 1 &&
      typeof m.workspace === 'string' &&
      typeof m.ownerId === 'string' &&
      typeof m.exportId === 'string'
    )
      return m as ExportMessage;
  } catch {
    // not ours
  }
  return undefined;
}
