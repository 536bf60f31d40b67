/** Validates operation input with the precompiled validators and words the errors for people. */
import { DOT_SEGMENT_PATTERN } from '../catalog/params.ts';
import type { ValidationIssue } from './issue.ts';
import { jsonShapeIssue } from './json-shape.ts';

export type { ValidationIssue } from './issue.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  schemaPath: string;
}

/** The shape of an AJV standalone validator. */
export type CompiledValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
export type ValidatorMap = Readonly<Record<string, CompiledValidator>>;

/**
 * The contract accepts the operation's `$body` under `body` or `$body`: one name goes to validation.
 * Returns a new object; the caller's input is not touched.
 */
export function normalizeInput(input: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(input, '$body')) return input;
  const { $body, ...rest } = input;
  if (Object.hasOwn(rest, 'body')) return input; // both given: validation reports `$body` as unknown
  return { ...rest, body: $body };
}

function pointer(base: string, property: unknown): string {
  return `${base}/${String(property).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function describe(error: AjvError): ValidationIssue {
  const { keyword, params, instancePath } = error;
  switch (keyword) {
    case 'required':
      return { path: pointer(instancePath, params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: pointer(instancePath, params.additionalProperty), message: 'is not a known parameter' };
    case 'enum':
      return {
        path: instancePath,
        message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'not':
      return { path: instancePath || '/', message: 'combines parameters that cannot be used together' };
    case 'pattern':
      if (params.pattern === DOT_SEGMENT_PATTERN)
        return {
          path: instancePath,
          message: 'cannot be "." or ".." (it is one segment of the Intercom URL)',
        };
      return { path: instancePath, message: error.message ?? 'has the wrong format' };
    default:
      return { path: instancePath || '/', message: error.message ?? `fails ${keyword}` };
  }
}

/**
 * Turns AJV's errors into one issue per offending field. "At least one of" rules (`anyOf` of
 * `required`) become a single issue naming the alternatives instead of AJV's three.
 */
export function describeErrors(errors: readonly AjvError[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath));
  const alternatives = new Map<string, { path: string; names: string[] }>();
  for (const error of errors) {
    const parent = error.schemaPath.replace(/\/\d+\/required$/, '');
    if (error.keyword === 'required' && anyOfPaths.has(parent)) {
      const entry = alternatives.get(parent) ?? { path: error.instancePath || '/', names: [] };
      entry.names.push(String(error.params.missingProperty));
      alternatives.set(parent, entry);
      continue;
    }
    if (error.keyword === 'anyOf' || error.keyword === 'if') continue;
    issues.push(describe(error));
  }
  for (const { path, names } of alternatives.values()) {
    issues.push({ path, message: `needs at least one of: ${names.join(', ')}` });
  }
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Issues of `input` against the operation's validator; empty when valid. The JSON shape (depth, lone
 * surrogates, numbers sent exactly) comes first: every way in (actions, bulk items, rendered rule
 * actions, the CLI) reaches Intercom through here, whatever parsed or built the input.
 */
export function validateInput(validator: CompiledValidator, input: unknown): ValidationIssue[] {
  const shape = jsonShapeIssue(input);
  if (shape) return [shape];
  if (validator(input)) return [];
  return describeErrors(validator.errors ?? []);
}
