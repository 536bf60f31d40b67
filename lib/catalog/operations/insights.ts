import { pathParam, queryParam, stringOrNumber } from '../params.ts';
import type { OperationSpec } from '../types.ts';

const includeArchived = queryParam(
  'Include archived attributes in the list. By default only non-archived data attributes are returned.',
  { type: 'boolean' },
);
const includeCount = queryParam('include counts in your segment model in the response', { type: 'boolean' });
const dataAttributesNote =
  'API 1.4 serves `GET /data_attributes?model=...`; 1.0-1.3 serve the path form. The configured Intercom-Version picks one.';

/** 1.4 moved the listing to `/data_attributes?model=`; the configured Intercom-Version picks the path. */
function listDataAttributes(name: string, model: 'company' | 'customer', summary: string): OperationSpec {
  return {
    name,
    group: 'insights',
    summary,
    method: 'GET',
    path: `/data_attributes/${model}`,
    params: { include_archived: includeArchived },
    versionedPath: { since: '1.4', path: '/data_attributes', query: { model } },
    resultsKeys: ['data_attributes'],
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
    notes: dataAttributesNote,
  };
}

export const insightOperations: OperationSpec[] = [
  {
    name: 'get_count',
    group: 'insights',
    summary:
      'Counts: app totals, or per type (user, company, conversation) and count (tag, segment, user, admin).',
    method: 'GET',
    path: '/counts',
    params: {
      count: queryParam('tag, segment, user or admin (string or number; sent as a string)', stringOrNumber),
      type: queryParam('user, company or conversation', {
        type: 'string',
        enum: ['user', 'company', 'conversation'],
      }),
    },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'get_segment',
    group: 'insights',
    summary: 'Get a segment.',
    method: 'GET',
    path: '/segments/{id}',
    params: { id: pathParam('Segment ID'), include_count: includeCount },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  listDataAttributes(
    'list_data_attributes_for_companies',
    'company',
    'List the company data attributes of the app.',
  ),
  listDataAttributes(
    'list_data_attributes_for_customers',
    'customer',
    'List the customer (user, lead, visitor) data attributes of the app.',
  ),
  {
    name: 'list_segments',
    group: 'insights',
    summary: 'List user segments, or company segments with type=company.',
    method: 'GET',
    path: '/segments',
    params: {
      include_count: includeCount,
      type: queryParam('if "company", list company segments, otherwise list user segments.'),
    },
    resultsKeys: ['segments'],
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
];
