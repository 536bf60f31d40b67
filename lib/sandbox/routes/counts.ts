/**
 * `GET /counts`: app totals (`count.hash`) without parameters, else
 * `{"type": "count", "<type>": {"<count>": [{"<name>": n}, ...]}}` (conversation counts are objects).
 */
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid } from '../errors.ts';
import { companyInSegment, inSegment } from '../segments.ts';
import type { Workspace } from '../store.ts';

function appTotals(ws: Workspace) {
  return {
    type: 'count.hash',
    company: { count: ws.companies.size },
    segment: { count: ws.segments.size },
    tag: { count: ws.tags.size },
    user: { count: ws.customersOf('user').length },
    lead: { count: ws.customersOf('contact').length },
  };
}

function userCounts(ws: Workspace, count: string | undefined) {
  const users = ws.customersOf('user');
  if (count === 'tag')
    return [...ws.tags.values()].map((t) => ({ [t.name]: users.filter((u) => u.tagIds.has(t.id)).length }));
  if (count === 'segment')
    return [...ws.segments.values()]
      .filter((s) => s.person_type === 'user')
      .map((s) => ({ [s.name]: users.filter((u) => inSegment(ws, s, u)).length }));
  throw invalid('count', 'With type=user, count must be tag or segment');
}

function companyCounts(ws: Workspace, count: string | undefined) {
  const companies = [...ws.companies.values()];
  if (count === 'tag')
    return [...ws.tags.values()].map((t) => ({
      [t.name]: companies.filter((c) => c.tagIds.has(t.id)).length,
    }));
  if (count === 'segment')
    return [...ws.segments.values()]
      .filter((s) => s.person_type === 'company')
      .map((s) => ({ [s.name]: companies.filter((c) => companyInSegment(ws, s, c)).length }));
  if (count === 'user')
    return companies.map((c) => ({
      [c.name ?? c.company_id]: ws.companyUsers(c.id).length,
      remote_company_id: c.company_id,
    }));
  throw invalid('count', 'With type=company, count must be tag, segment or user');
}

function conversationCounts(ws: Workspace, count: string | undefined) {
  const all = [...ws.conversations.values()];
  const open = all.filter((c) => c.open);
  if (count === 'admin')
    return {
      admin: [...ws.admins.values()].map((a) => {
        const mine = all.filter((c) => c.assignee.type === 'admin' && c.assignee.id === a.id);
        return {
          id: a.id,
          name: a.name,
          open: mine.filter((c) => c.open).length,
          closed: mine.filter((c) => !c.open).length,
        };
      }),
    };
  if (count !== undefined) throw invalid('count', 'With type=conversation, count must be admin or absent');
  return {
    assigned: open.filter((c) => c.assignee.type !== 'nobody_admin').length,
    closed: all.length - open.length,
    open: open.length,
    unassigned: open.filter((c) => c.assignee.type === 'nobody_admin').length,
  };
}

function counts(ctx: ApiContext) {
  const { ws, query } = ctx;
  const { type, count } = query;
  if (!type) {
    if (count) throw invalid('type', 'count needs a type');
    return ok(appTotals(ws));
  }
  if (type === 'user') return ok({ type: 'count', user: { [count ?? '']: userCounts(ws, count) } });
  if (type === 'company') return ok({ type: 'count', company: { [count ?? '']: companyCounts(ws, count) } });
  if (type === 'conversation') return ok({ type: 'count', conversation: conversationCounts(ws, count) });
  throw invalid('type', 'type must be user, company or conversation');
}

export const countRoutes: Route[] = [{ method: 'GET', template: '/counts', handler: counts }];
