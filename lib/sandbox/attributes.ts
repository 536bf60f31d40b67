/** Custom attributes: flat values only, and new names become custom data attributes (as Intercom does). */
import { invalid } from './errors.ts';
import type { Json } from './input.ts';
import { optObject } from './input.ts';
import type { DataAttribute } from './model.ts';
import type { Workspace } from './store.ts';

/** The `custom_attributes` object of a body, checked: Intercom rejects nested values. */
export function readCustomAttributes(body: Json): Json | undefined {
  const attrs = optObject(body, 'custom_attributes');
  if (!attrs) return undefined;
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && typeof value === 'object')
      throw invalid(
        `custom_attributes.${key}`,
        `custom attribute ${key} must be a string, number, boolean or null`,
      );
  }
  return attrs;
}

function dataType(value: unknown): DataAttribute['data_type'] {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return 'string';
}

export function registerCustomAttributes(ws: Workspace, model: DataAttribute['model'], attrs: Json): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (ws.dataAttributes.some((a) => a.model === model && a.custom && a.name === name)) continue;
    const now = ws.nowSeconds();
    ws.dataAttributes.push({
      model,
      name,
      full_name: `custom_attributes.${name}`,
      label: name,
      description: '',
      data_type: dataType(value),
      api_writable: true,
      ui_writable: true,
      custom: true,
      archived: false,
      created_at: now,
      updated_at: now,
      admin_id: null,
    });
  }
}
