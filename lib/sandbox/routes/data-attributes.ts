/**
 * Data attributes: 1.0-1.3 list them at `/data_attributes/customer|company`; 1.4 moved the listing to
 * `/data_attributes?model=customer|company` and the old paths stopped working (each form 404s in the
 * other versions).
 */
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, missing, notFound } from '../errors.ts';
import { queryFlag } from '../input.ts';
import type { DataAttribute } from '../model.ts';

function list(ctx: ApiContext, model: string) {
  if (model !== 'customer' && model !== 'company')
    throw invalid('model', 'model must be customer or company');
  const includeArchived = queryFlag(ctx.query, 'include_archived');
  const attributes = ctx.ws.dataAttributes.filter(
    (a) => a.model === model && (includeArchived || !a.archived),
  );
  return ok({ type: 'data_attribute.list', data_attributes: attributes.map(render) });
}

function render(a: DataAttribute) {
  const { model, ...fields } = a;
  return { type: 'data_attribute', model, ...fields };
}

const unknownPath = (ctx: ApiContext) =>
  notFound(`${ctx.path} is not available in Intercom-Version ${ctx.version}`);

export const dataAttributeRoutes: Route[] = [
  {
    method: 'GET',
    template: '/data_attributes',
    handler: (ctx) => {
      if (ctx.version !== '1.4') throw unknownPath(ctx);
      if (!ctx.query.model) throw missing('model');
      return list(ctx, ctx.query.model);
    },
  },
  {
    method: 'GET',
    template: '/data_attributes/{model}',
    handler: (ctx) => {
      const model = ctx.params.model!;
      if (ctx.version === '1.4' || (model !== 'customer' && model !== 'company')) throw unknownPath(ctx);
      return list(ctx, model);
    },
  },
];
