import { body, idString, order, pathParam, queryParam, scrollParam, stringOrNumber } from '../params.ts';
import type { BodySpec, OperationSpec } from '../types.ts';

const upsertCompanyBody: BodySpec = body(
  'The company, keyed on `company_id` (required), with `name`, `plan`, `size`, `website`, `industry`, `monthly_spend`, `remote_created_at`, `custom_attributes`.',
  {
    properties: { company_id: idString, custom_attributes: { type: 'object' } },
    required: ['company_id'],
  },
);

/** create_company and update_company are one Intercom call (`POST /companies`, keyed on company_id). */
function upsertCompany(name: string): OperationSpec {
  return {
    name,
    group: 'companies',
    summary: 'Create or update a company (upsert keyed on company_id).',
    method: 'POST',
    path: '/companies',
    params: {},
    body: upsertCompanyBody,
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  };
}

export const companyOperations: OperationSpec[] = [
  upsertCompany('create_company'),
  {
    name: 'delete_company',
    group: 'companies',
    summary: 'Delete a company (by user_id, as the connector declares it).',
    method: 'DELETE',
    path: '/companies',
    params: { user_id: queryParam('User ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
    notes:
      'Sent as the connector declares it, `DELETE /companies?user_id=`, but Intercom 1.x documents no such endpoint: use delete_company_by_id.',
  },
  {
    name: 'delete_company_by_id',
    group: 'companies',
    summary: 'Delete a company by Intercom id.',
    method: 'DELETE',
    path: '/companies/{id}',
    params: { id: pathParam('Company ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
    notes: 'Intercom documents this endpoint from API 2.1 on; v1-era SDKs called it too.',
  },
  {
    name: 'get_company',
    group: 'companies',
    summary: 'Get a company by Intercom id.',
    method: 'GET',
    path: '/companies/{id}',
    params: { id: pathParam('Company ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'list_companies',
    group: 'companies',
    summary: 'List companies (or, with company_id/name and type=user, the users of one company).',
    method: 'GET',
    path: '/companies',
    params: {
      company_id: queryParam('Company ID'),
      name: queryParam('Company name'),
      order: queryParam('Sort order', order),
      segment_id: queryParam('Segment ID (string or number; sent as a string)', stringOrNumber),
      tag_id: queryParam('Tag ID (string or number; sent as a string)', stringOrNumber),
      type: queryParam('"user" lists the users of the company named by company_id or name', {
        type: 'string',
        enum: ['user'],
      }),
    },
    constraints: { not: { required: ['tag_id', 'segment_id'] } },
    resultsKeys: ['companies', 'users'],
    pagination: 'pages',
    retrySafe: true,
    successStatus: 200,
    notes:
      'Filter by tag_id or segment_id, not both. Paged lists stop at 10,000 records; use scroll_companies.',
  },
  {
    name: 'list_users_for_company',
    group: 'companies',
    summary: 'List the users (and leads) of a company.',
    method: 'GET',
    path: '/companies/{id}/users',
    params: { id: pathParam('Company ID') },
    resultsKeys: ['users'],
    pagination: 'pages',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'scroll_companies',
    group: 'companies',
    summary: 'Scroll over all companies (one open scroll per app; a scroll expires after 1 minute idle).',
    method: 'GET',
    path: '/companies/scroll',
    params: { scroll: scrollParam },
    resultsKeys: ['companies'],
    pagination: 'scroll',
    retrySafe: true,
    successStatus: 200,
  },
  upsertCompany('update_company'),
];
