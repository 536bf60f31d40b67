/** The body of one export queue message: which export to carry forward, and its operation. */
import type { ExportRef } from './store.ts';

export interface ExportMessage extends ExportRef {
  v: 1;
  /** Tells the worker whether to take the scroll lock before it reads the record; absent in older messages. */
  operation?: string;
}

export function encodeExportMessage(ref: ExportRef & { operation?: string }): string {
  return JSON.stringify({
    v: 1,
    workspace: ref.workspace,
    ownerId: ref.ownerId,
    exportId: ref.exportId,
    ...(ref.operation !== undefined ? { operation: ref.operation } : {}),
  });
}

export function decodeExportMessage(body: string): ExportMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<ExportMessage>;
    if (
      m?.v === 1 &&
      typeof m.workspace === 'string' &&
      typeof m.ownerId === 'string' &&
      typeof m.exportId === 'string' &&
      (m.operation === undefined || typeof m.operation === 'string')
    )
      return m as ExportMessage;
  } catch {
    // not ours
  }
  return undefined;
}
