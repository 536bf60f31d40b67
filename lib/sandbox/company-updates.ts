/** Creating and updating companies: `POST /companies` and the `companies` array of users and leads. */
import { readCustomAttributes, registerCustomAttributes } from './attributes.ts';
import { type Json, optInteger, optNumber, optString, reqString } from './input.ts';
import type { Company } from './model.ts';
import type { Workspace } from './store.ts';
import { renderCompany } from './views.ts';

export function companyByCompanyId(ws: Workspace, companyId: string): Company | undefined {
  for (const c of ws.companies.values()) if (c.company_id === companyId) return c;
  return undefined;
}

/** Upsert keyed on `company_id` (required); `company_id` itself never changes. */
export function upsertCompany(ws: Workspace, body: Json): Company {
  const companyId = reqString(body, 'company_id');
  const name = optString(body, 'name');
  const remoteCreatedAt = optInteger(body, 'remote_created_at');
  const monthlySpend = optNumber(body, 'monthly_spend');
  const size = optInteger(body, 'size');
  const website = optString(body, 'website');
  const industry = optString(body, 'industry');
  const plan = optString(body, 'plan');
  const custom = readCustomAttributes(body);
  const now = ws.nowSeconds();
  let company = companyByCompanyId(ws, companyId);
  if (!company) {
    company = {
      id: ws.ids.hex(),
      company_id: companyId,
      name: null,
      created_at: now,
      updated_at: now,
      remote_created_at: null,
      last_request_at: null,
      monthly_spend: 0,
      session_count: 0,
      size: null,
      website: null,
      industry: null,
      plan: null,
      custom_attributes: {},
      tagIds: new Set(),
      seq: ws.nextSeq(),
    };
    ws.companies.set(company.id, company);
    const created = company;
    // Also when a user or lead update names a new company, which creates it.
    ws.notify('company.created', () => renderCompany(ws, created));
  }
  if (name !== undefined) company.name = name;
  if (remoteCreatedAt !== undefined) company.remote_created_at = remoteCreatedAt;
  if (monthlySpend !== undefined) company.monthly_spend = monthlySpend ?? 0;
  if (size !== undefined) company.size = size;
  if (website !== undefined) company.website = website;
  if (industry !== undefined) company.industry = industry;
  if (plan !== undefined) company.plan = plan;
  if (custom) {
    Object.assign(company.custom_attributes, custom);
    registerCustomAttributes(ws, 'company', custom);
  }
  company.updated_at = now;
  return company;
}

export function removeCompany(ws: Workspace, company: Company): void {
  ws.companies.delete(company.id);
  for (const c of ws.customers.values()) c.companyIds.delete(company.id);
}
