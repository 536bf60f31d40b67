/** Segment membership, computed from each segment's rule at the time of asking. */
import type { Company, Customer, Segment, SegmentRule } from './model.ts';
import type { Workspace } from './store.ts';

const DAY = 86_400;

type Member = Pick<Customer, 'created_at' | 'last_request_at' | 'custom_attributes'> & {
  /** Only companies have a monthly spend; a person never matches a spend rule. */
  monthly_spend?: number;
};

function matches(rule: SegmentRule, c: Member, now: number): boolean {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'created_within_days':
      return c.created_at >= now - rule.days * DAY;
    case 'active_within_days':
      return c.last_request_at !== null && c.last_request_at >= now - rule.days * DAY;
    case 'inactive_for_days':
      return c.last_request_at === null || c.last_request_at < now - rule.days * DAY;
    case 'attribute':
      return c.custom_attributes[rule.key] === rule.value;
    case 'min_monthly_spend':
      return c.monthly_spend !== undefined && c.monthly_spend >= rule.amount;
  }
}

export function inSegment(ws: Workspace, segment: Segment, c: Customer): boolean {
  return c.kind === segment.person_type && matches(segment.rule, c, ws.nowSeconds());
}

export function companyInSegment(ws: Workspace, segment: Segment, c: Company): boolean {
  return segment.person_type === 'company' && matches(segment.rule, c, ws.nowSeconds());
}

export function segmentsOfCustomer(ws: Workspace, c: Customer): Segment[] {
  return [...ws.segments.values()].filter((s) => inSegment(ws, s, c));
}

export function segmentsOfCompany(ws: Workspace, c: Company): Segment[] {
  return [...ws.segments.values()].filter((s) => companyInSegment(ws, s, c));
}

export function segmentCount(ws: Workspace, segment: Segment): number {
  if (segment.person_type === 'company')
    return [...ws.companies.values()].filter((c) => companyInSegment(ws, segment, c)).length;
  return [...ws.customers.values()].filter((c) => inSegment(ws, segment, c)).length;
}
