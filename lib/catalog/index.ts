/**
 * The operation catalog: the single source of truth for the 57 Intercom 1.x operations. Validation,
 * routing, OpenAPI, infrastructure routes, the CLI and the tests all read it.
 */
import { adminOperations } from './operations/admins.ts';
import { companyOperations } from './operations/companies.ts';
import { conversationOperations } from './operations/conversations.ts';
import { eventOperations } from './operations/events.ts';
import { insightOperations } from './operations/insights.ts';
import { leadOperations } from './operations/leads.ts';
import { noteOperations } from './operations/notes.ts';
import { tagOperations } from './operations/tags.ts';
import { userOperations } from './operations/users.ts';
import { visitorOperations } from './operations/visitors.ts';
import { scopeOf } from './scopes.ts';
import type { Group, Operation, OperationSpec } from './types.ts';

export { exampleInput } from './examples.ts';
export { inputSchema as inputSchemaOf, LIST_CONTROLS } from './input-schema.ts';
export type { OperationInput, WireRequest } from './request.ts';
export type * from './types.ts';
export { API_VERSIONS } from './types.ts';

const specs: OperationSpec[] = [
  ...userOperations,
  ...leadOperations,
  ...visitorOperations,
  ...companyOperations,
  ...conversationOperations,
  ...tagOperations,
  ...noteOperations,
  ...eventOperations,
  ...adminOperations,
  ...insightOperations,
];

/** Every operation, sorted by name, frozen. */
export const operations: readonly Operation[] = Object.freeze(
  specs
    .map((spec) => Object.freeze({ ...spec, scope: scopeOf(spec.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
);

const byName = new Map<string, Operation>(operations.map((op) => [op.name, op]));
if (byName.size !== operations.length) throw new Error('Duplicate operation name in the catalog');

export const GROUPS: readonly Group[] = [
  'users',
  'leads',
  'visitors',
  'companies',
  'conversations',
  'tags',
  'notes',
  'events',
  'admins',
  'insights',
];

/** The operation of that exact name, or undefined (names are case-sensitive, as in the contract). */
export function findOperation(name: string): Operation | undefined {
  return byName.get(name);
}

export function getOperation(name: string): Operation {
  const op = byName.get(name);
  if (!op) throw new Error(`Unknown operation "${name}"`);
  return op;
}

export function operationsOfGroup(group: Group): Operation[] {
  return operations.filter((op) => op.group === group);
}

/** List-shaped operations return `next` and accept the `resultsPath`/`limit`/`next` controls. */
export function isListOperation(op: Operation): boolean {
  return op.resultsKeys !== undefined;
}
