import type { Options } from 'ajv';

/**
 * The one set of AJV options for the catalog's schemas (tests and the precompiled validators).
 * `strictRequired` is off because "at least one of" is written as `anyOf: [{required: [a]}, ...]`,
 * standard JSON Schema that strict mode would reject; union types (`['string', 'number']` with
 * `maxLength`) are intended, hence `strictTypes` off.
 */
export const AJV_OPTIONS: Options = {
  strict: true,
  strictRequired: false,
  strictTypes: false,
  allErrors: true,
  coerceTypes: false,
  useDefaults: false,
};
