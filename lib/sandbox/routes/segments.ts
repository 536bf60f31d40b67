/** Segments (user and lead segments, or company segments with `type=company`) and their counts. */
import { ok, type Route } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { queryFlag } from '../input.ts';
import { renderSegment } from '../views.ts';

export const segmentRoutes: Route[] = [
  {
    method: 'GET',
    template: '/segments',
    handler: ({ ws, query }) => {
      if (query.type !== undefined && query.type !== 'company' && query.type !== 'user')
        throw invalid('type', 'type must be company or user');
      const wantCompany = query.type === 'company';
      const segments = [...ws.segments.values()].filter((s) => (s.person_type === 'company') === wantCompany);
      const includeCount = queryFlag(query, 'include_count');
      return ok({ type: 'segment.list', segments: segments.map((s) => renderSegment(ws, s, includeCount)) });
    },
  },
  {
    method: 'GET',
    template: '/segments/{id}',
    handler: ({ ws, query, params }) => {
      const segment = ws.segments.get(params.id!);
      if (!segment) throw notFound('Segment Not Found');
      return ok(renderSegment(ws, segment, queryFlag(query, 'include_count')));
    },
  },
];
