/** Export intake and reports: create (202 + queued), status with the download URL when done, the key's list. */
import { keyOwner } from '../auth/ownership.ts';
import type { Operation } from '../catalog/index.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { DomainError } from '../errors.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import type { ExportFiles } from './files.ts';
import { encodeExportMessage } from './messages.ts';
import type { ExportRequest } from './request.ts';
import { type ExportRecord, type ExportStore, newExportId } from './store.ts';

export interface ExportServiceDeps {
  store: ExportStore;
  files: ExportFiles;
  queue: WorkQueue;
  urlSeconds: number;
  now?: () => number;
}

type Key = Pick<ApiKeyRecord, 'id' | 'workspace'>;

export function fileName(record: Pick<ExportRecord, 'exportId' | 'operation' | 'format' | 'gzip'>): string {
  return `${record.operation}-${record.exportId}.${record.format}${record.gzip ? '.gz' : ''}`;
}

export class ExportService {
  readonly #d: ExportServiceDeps;
  readonly #now: () => number;

  constructor(deps: ExportServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  async create(
    op: Operation,
    request: ExportRequest,
    key: Key,
  ): Promise<{ exportId: string; status: 'queued' }> {
    const now = this.#now();
    const exportId = newExportId(now);
    const record: ExportRecord = {
      workspace: key.workspace,
      ownerId: keyOwner(key),
      exportId,
      operation: op.name,
      ...(Object.keys(request.params).length > 0 ? { params: request.params } : {}),
      format: request.format,
      ...(request.fields ? { fields: request.fields } : {}),
      gzip: request.gzip,
      status: 'queued',
      key: `exports/${encodeURIComponent(key.workspace)}/${exportId}/${fileName({ exportId, operation: op.name, format: request.format, gzip: request.gzip })}`,
      records: 0,
      pages: 0,
      restarts: 0,
      bytes: 0,
      createdAt: now,
      parts: [],
      carryBytes: 0,
      idsLists: 0,
      runToken: null,
    };
    await this.#d.store.create(record);
    try {
      await this.#d.queue.sendLater(encodeExportMessage(record), 0);
    } catch (error) {
      throw new DomainError('queue_unavailable', 'The export could not be queued; try again', {
        cause: error,
      });
    }
    return { exportId, status: 'queued' };
  }

  async #view(record: ExportRecord) {
    const view = {
      exportId: record.exportId,
      operation: record.operation,
      ...(record.params ? { params: record.params } : {}),
      format: record.format,
      ...(record.fields ? { fields: record.fields } : {}),
      gzip: record.gzip,
      status: record.status,
      records: record.records,
      pages: record.pages,
      restarts: record.restarts,
      bytes: record.bytes,
      ...(record.capped ? { capped: true, available: record.available } : {}),
      createdAt: new Date(record.createdAt).toISOString(),
      ...(record.startedAt ? { startedAt: new Date(record.startedAt).toISOString() } : {}),
      ...(record.finishedAt ? { finishedAt: new Date(record.finishedAt).toISOString() } : {}),
      ...(record.error ? { error: record.error } : {}),
    };
    return view;
  }

  async status(exportId: string, key: Key) {
    const record = await this.#d.store.getFor(key, exportId);
    if (!record) throw new DomainError('not_found', 'No such export');
    const view = await this.#view(record);
    if (record.status !== 'succeeded') return view;
    const expiresAt = new Date(this.#now() + this.#d.urlSeconds * 1000).toISOString();
    return {
      ...view,
      download: {
        url: await this.#d.files.downloadUrl(record.key, fileName(record), this.#d.urlSeconds),
        expiresAt,
      },
    };
  }

  async list(key: Key, limit: number, next?: string) {
    const page = await this.#d.store.list(key, limit, next);
    return {
      exports: await Promise.all(page.exports.map((r) => this.#view(r))),
      ...(page.next ? { next: page.next } : {}),
    };
  }
}
