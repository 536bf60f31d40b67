/**
 * Tags: create or rename (case-insensitive and idempotent by name), tag and untag users, leads or
 * companies (never both in one request), list and delete.
 */

import { companyByCompanyId } from '../company-updates.ts';
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, missing, notFound, SandboxHttpError, typeMismatch } from '../errors.ts';
import { identifiers, isObject, type Json, objectBody, optArray, optId, optString } from '../input.ts';
import type { Company, Customer, Tag } from '../model.ts';
import type { Workspace } from '../store.ts';
import { renderTag } from '../views.ts';
import { taggingItem } from '../webhooks/items.ts';

interface Tagging<T> {
  target: T;
  untag: boolean;
}

function entries(list: unknown[], field: string): Json[] {
  return list.map((item, i) => {
    if (!isObject(item)) throw typeMismatch(`${field}[${i}]`, 'an object');
    return item;
  });
}

/**
 * Users by `id | user_id | email` (leads by their `id`). An email several users share is a `conflict`,
 * as for every by-email lookup: tagging by such an email failed with "Multiple existing users match
 * this email address" (intercom-java #197, `Tag.tag` -> `POST /tags`).
 */
function userTargets(ws: Workspace, list: unknown[]): Array<Tagging<Customer>> {
  return entries(list, 'users').flatMap((entry, i) => {
    const ref = identifiers(entry);
    let found: Customer[];
    if (ref.id)
      found = [ws.customers.get(ref.id)].filter(
        (c): c is Customer => c?.kind === 'user' || c?.kind === 'contact',
      );
    else if (ref.user_id)
      found = [ws.byUserId('user', ref.user_id)].filter((c): c is Customer => c !== undefined);
    else if (ref.email)
      found = [ws.uniqueUserByEmail(ref.email)].filter((c): c is Customer => c !== undefined);
    else throw missing(`users[${i}].id`, 'each user needs an id, user_id or email');
    if (found.length === 0) throw notFound(`User Not Found: users[${i}]`);
    return found.map((target) => ({ target, untag: entry.untag === true }));
  });
}

function companyTargets(ws: Workspace, list: unknown[]): Array<Tagging<Company>> {
  return entries(list, 'companies').map((entry, i) => {
    const id = optId(entry, 'id');
    const companyId = optId(entry, 'company_id');
    if (!id && !companyId) throw missing(`companies[${i}].id`, 'each company needs an id or company_id');
    const target = id ? ws.companies.get(id) : companyByCompanyId(ws, companyId!);
    if (!target) throw notFound(`Company Not Found: companies[${i}]`, 'company_not_found');
    return { target, untag: entry.untag === true };
  });
}

function byName(ws: Workspace, name: string): Tag | undefined {
  const wanted = name.toLowerCase();
  for (const tag of ws.tags.values()) if (tag.name.toLowerCase() === wanted) return tag;
  return undefined;
}

function createOrRename(ws: Workspace, id: string | undefined, name: string): Tag {
  const same = byName(ws, name);
  if (!id) {
    if (same) return same;
    const tag = { id: ws.ids.numeric('tag'), name };
    ws.tags.set(tag.id, tag);
    return tag;
  }
  const tag = ws.tags.get(id);
  if (!tag) throw notFound('Tag Not Found');
  if (same && same.id !== tag.id)
    throw new SandboxHttpError(409, 'resource_conflict', `A tag named ${same.name} already exists`);
  tag.name = name;
  return tag;
}

function postTag(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const name = optString(body, 'name');
  const id = optId(body, 'id');
  if (!name) throw missing('name');
  const users = optArray(body, 'users');
  const companies = optArray(body, 'companies');
  if (users && companies) throw invalid('companies', 'Tag users or companies in one request, not both');
  // Every target is found before anything changes, so an unknown one leaves the workspace as it was.
  const userTaggings = users ? userTargets(ws, users) : [];
  const companyTaggings = companies ? companyTargets(ws, companies) : [];
  const tag = createOrRename(ws, id, name);
  for (const { target, untag } of companyTaggings) {
    if (untag) target.tagIds.delete(tag.id);
    else target.tagIds.add(tag.id);
  }
  // Intercom: "Bulk user tagging operations do not trigger webhooks and only single user tag
  // operations will result in a webhook being sent". Read here as: a request naming several people
  // notifies no *.tag.created; untagging is notified either way.
  const single = userTaggings.length === 1;
  for (const { target, untag } of userTaggings) {
    const changed = untag ? target.tagIds.delete(tag.id) : !target.tagIds.has(tag.id);
    if (!untag) target.tagIds.add(tag.id);
    if (changed && (untag || single)) notifyTagging(ws, tag, target, untag);
  }
  return ok(renderTag(tag));
}

function notifyTagging(ws: Workspace, tag: Tag, person: Customer, untag: boolean): void {
  const kind = person.kind === 'contact' ? 'contact' : 'user';
  ws.notify(`${kind}.tag.${untag ? 'deleted' : 'created'}`, () => taggingItem(ws, tag, person));
}

function deleteTag(ctx: ApiContext) {
  const { ws } = ctx;
  const id = ctx.params.id!;
  if (!ws.tags.delete(id)) throw notFound('Tag Not Found');
  for (const holder of [...ws.customers.values(), ...ws.companies.values(), ...ws.conversations.values()])
    holder.tagIds.delete(id);
  return ok({});
}

export const tagRoutes: Route[] = [
  { method: 'POST', template: '/tags', handler: postTag },
  {
    method: 'GET',
    template: '/tags',
    handler: (ctx) => ok({ type: 'tag.list', tags: [...ctx.ws.tags.values()].map(renderTag) }),
  },
  { method: 'DELETE', template: '/tags/{id}', handler: deleteTag },
];
