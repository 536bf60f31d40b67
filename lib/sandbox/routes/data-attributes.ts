/**
 * Data attributes: 1.0-1.3 list them at `/data_attributes/customer|company`; 1.4 moved the listing to
 * `/data_attributes`, with `?model=customer|company` or, without it, every attribute of both models
 * (R1.4 list-data-attributes, "List all data attributes"); the old paths stopped working (each form
 * 404s in the other versions).
 */
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { queryFlag } from '../input.ts';
import type { DataAttribute } from '../model.ts';

const MODELS: ReadonlyArray<DataAttribute['model']> = ['customer', 'company'];

/**
 * One attribute. `messenger_writable` is on every attribute of the 1.2 and 1.4 examples (always false;
 * the sandbox has no Messenger to write them). Only custom attributes carry `admin_id`, `created_at`
 * and `updated_at` (R1.4 list-data-attributes; intercom-ruby `test_data_attribute_list`). The 1.0-1.3
 * per-model lists leave `model` out (R1.2 list-customer-data-attributes).
 */
function render(a: DataAttribute, withModel: boolean) {
  return {
    type: 'data_attribute',
    ...(withModel ? { model: a.model } : {}),
    name: a.name,
    full_name: a.full_name,
    label: a.label,
    description: a.description,
    data_type: a.data_type,
    api_writable: a.api_writable,
    messenger_writable: false,
    ui_writable: a.ui_writable,
    custom: a.custom,
    archived: a.archived,
    ...(a.custom ? { admin_id: a.admin_id, created_at: a.created_at, updated_at: a.updated_at } : {}),
  };
}

function list(ctx: ApiContext, models: ReadonlyArray<DataAttribute['model']>, withModel: boolean) {
  const includeArchived = queryFlag(ctx.query, 'include_archived');
  const attributes = models.flatMap((model) =>
    ctx.ws.dataAttributes.filter((a) => a.model === model && (includeArchived || !a.archived)),
  );
  return ok({ type: 'data_attribute.list', data_attributes: attributes.map((a) => render(a, withModel)) });
}

function modelOf(value: string): DataAttribute['model'] {
  if (value !== 'customer' && value !== 'company')
    throw invalid('model', 'model must be customer or company');
  return value;
}

const unknownPath = (ctx: ApiContext) =>
  notFound(`${ctx.path} is not available in Intercom-Version ${ctx.version}`);

export const dataAttributeRoutes: Route[] = [
  {
    method: 'GET',
    template: '/data_attributes',
    handler: (ctx) => {
      if (ctx.version !== '1.4') throw unknownPath(ctx);
      const model = ctx.query.model;
      return list(ctx, model ? [modelOf(model)] : MODELS, true);
    },
  },
  {
    method: 'GET',
    template: '/data_attributes/{model}',
    handler: (ctx) => {
      const model = ctx.params.model!;
      if (ctx.version === '1.4' || (model !== 'customer' && model !== 'company')) throw unknownPath(ctx);
      return list(ctx, [model], false);
    },
  },
];
