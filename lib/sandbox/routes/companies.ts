/** Companies: upsert, find, list (also a company's users), delete and scroll. */
import { removeCompany, upsertCompany } from '../company-updates.ts';
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, missing, notFound } from '../errors.ts';
import { objectBody, queryEnum } from '../input.ts';
import type { Company, Customer } from '../model.ts';
import { pagedList, sortBy } from '../pagination.ts';
import { scrollPage } from '../scroll.ts';
import { companyInSegment } from '../segments.ts';
import type { Workspace } from '../store.ts';
import { renderCompany, renderCustomer } from '../views.ts';

const companyNotFound = () => notFound('Company Not Found', 'company_not_found');

function requireCompany(ws: Workspace, id: string): Company {
  const company = ws.companies.get(id);
  if (!company) throw companyNotFound();
  return company;
}

/** The users and leads of a company, as `user.list` with pages. */
function companyUsers(ctx: ApiContext, company: Company) {
  const people = sortBy(ctx.ws.companyUsers(company.id), (c) => c.created_at, 'desc');
  return ok(pagedList(ctx, 'user.list', 'users', people, (c: Customer) => renderCustomer(ctx.ws, c)));
}

function listCompanies(ctx: ApiContext) {
  const { ws, query } = ctx;
  if (query.company_id || query.name) {
    const company = [...ws.companies.values()].find((c) =>
      query.company_id ? c.company_id === query.company_id : c.name === query.name,
    );
    if (!company) throw companyNotFound();
    if (query.type === 'user') return companyUsers(ctx, company);
    return ok(renderCompany(ws, company));
  }
  if (query.type === 'user') throw missing('company_id', 'type=user needs company_id or name');
  if (query.tag_id && query.segment_id) throw invalid('tag_id', 'Filter by tag_id or segment_id, not both');
  // As in Intercom, a company is listed only once at least one user belongs to it.
  let companies = [...ws.companies.values()].filter((c) => ws.companyUsers(c.id).length > 0);
  if (query.tag_id) {
    if (!ws.tags.has(query.tag_id)) throw notFound('Tag Not Found');
    companies = companies.filter((c) => c.tagIds.has(query.tag_id!));
  }
  if (query.segment_id) {
    const segment = ws.segments.get(query.segment_id);
    if (!segment) throw notFound('Segment Not Found');
    companies = companies.filter((c) => companyInSegment(ws, segment, c));
  }
  const order = queryEnum(query, 'order', ['asc', 'desc'], 'desc');
  companies = sortBy(companies, (c) => c.last_request_at, order);
  return ok(pagedList(ctx, 'company.list', 'companies', companies, (c: Company) => renderCompany(ws, c)));
}

function deleteCompany(ctx: ApiContext) {
  const company = requireCompany(ctx.ws, ctx.params.id!);
  removeCompany(ctx.ws, company);
  return ok({ id: company.id, object: 'company', deleted: true });
}

export const companyRoutes: Route[] = [
  {
    method: 'POST',
    template: '/companies',
    handler: (ctx) => ok(renderCompany(ctx.ws, upsertCompany(ctx.ws, objectBody(ctx.body)))),
  },
  { method: 'GET', template: '/companies', handler: listCompanies },
  {
    method: 'GET',
    template: '/companies/{id}',
    handler: (ctx) => ok(renderCompany(ctx.ws, requireCompany(ctx.ws, ctx.params.id!))),
  },
  {
    method: 'GET',
    template: '/companies/{id}/users',
    handler: (ctx) => companyUsers(ctx, requireCompany(ctx.ws, ctx.params.id!)),
  },
  { method: 'DELETE', template: '/companies/{id}', handler: deleteCompany },
  {
    method: 'DELETE',
    template: '/companies',
    handler: () => {
      throw notFound('Intercom 1.x has no DELETE /companies?user_id= endpoint');
    },
  },
  {
    method: 'GET',
    template: '/companies/scroll',
    handler: (ctx) =>
      scrollPage(ctx, {
        resource: 'companies',
        listType: 'company.list',
        all: () => [...ctx.ws.companies.values()],
        get: (id) => ctx.ws.companies.get(id),
        render: (c) => renderCompany(ctx.ws, c),
      }),
  },
];
