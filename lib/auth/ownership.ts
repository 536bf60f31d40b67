/**
 * Who may see what: the ownership model every stored resource follows (bulk jobs today; exports,
 * event-triggered jobs and the console build on it).
 *
 * - A resource belongs to one workspace, always. No key of another workspace ever sees it.
 * - What an API key creates belongs to that key's stable id (not its name: names can be revoked and
 *   created again, ids are never reused and survive secret rotation). Other keys get 404, as for a
 *   resource that does not exist.
 * - What no key creates (automation run logs, jobs that rules create) belongs to the workspace: any
 *   key of that workspace with the scope the route needs may see it.
 */
import type { ApiKeyScope } from '../catalog/types.ts';
import type { ApiKeyRecord } from '../config/types.ts';

/** Stored with the resource: `key:<key id>` or `workspace` (created by the system for the workspace). */
export type OwnerId = `key:${string}` | 'workspace';

export const WORKSPACE_OWNER: OwnerId = 'workspace';

export function keyOwner(key: Pick<ApiKeyRecord, 'id'>): OwnerId {
  return `key:${key.id}`;
}

export interface Owned {
  workspace: string;
  /** Absent on records written before ownership by key id: those are seen by no key. */
  ownerId?: string;
}

/** Whether `key` may see `resource` at all (before scopes). */
export function isVisibleTo(resource: Owned, key: Pick<ApiKeyRecord, 'id' | 'workspace'>): boolean {
  if (resource.workspace !== key.workspace) return false;
  return resource.ownerId === keyOwner(key) || resource.ownerId === WORKSPACE_OWNER;
}

/** Whether `key` created `resource` itself (only the creator appends to a job). */
export function isCreatedBy(resource: Owned, key: Pick<ApiKeyRecord, 'id' | 'workspace'>): boolean {
  return resource.workspace === key.workspace && resource.ownerId === keyOwner(key);
}

/**
 * The scopes a key needs on a resource it can see: `own` for its own resources (e.g. `bulk` for its
 * jobs), `shared` for the workspace's (e.g. `read` to look, `bulk` to retry).
 */
export function scopesFor(
  resource: Owned,
  needs: { own: readonly ApiKeyScope[]; shared: readonly ApiKeyScope[] },
): readonly ApiKeyScope[] {
  return resource.ownerId === WORKSPACE_OWNER ? needs.shared : needs.own;
}
