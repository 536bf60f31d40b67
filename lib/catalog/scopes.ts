import type { Scope } from './types.ts';

/** contract.md "Scopes": an operation's scope follows from the verb its name starts with. */
const SCOPE_BY_VERB: Readonly<Record<string, Scope>> = {
  get: 'read',
  list: 'read',
  find: 'read',
  scroll: 'read',
  create: 'write',
  update: 'write',
  post: 'write',
  mark: 'write',
  convert: 'write',
  set: 'write',
  add: 'write',
  delete: 'delete',
  archive: 'delete',
};

export function scopeOf(operationName: string): Scope {
  const verb = operationName.split('_', 1)[0] ?? '';
  const scope = SCOPE_BY_VERB[verb];
  if (!scope) throw new Error(`No scope rule for operation "${operationName}" (verb "${verb}")`);
  return scope;
}
