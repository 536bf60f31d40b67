/**
 * `{{path | filter | filter:arg}}` templates in action parameters. A template reads a value of the
 * notification and passes it through a fixed set of filters: there is no expression language, so a
 * rules file cannot run code, and paths only read own properties (see paths.ts).
 */
import { jsonShapeIssue, numberProblem } from '../validation/json-shape.ts';
import { type PathRoots, parsePath, resolvePath } from './paths.ts';
import { describe } from './reader.ts';
import { didYouMean } from './suggest.ts';
import type { Json } from './types.ts';

export const FILTERS = ['lower', 'upper', 'domain', 'html', 'default'] as const;
export type FilterName = (typeof FILTERS)[number];
export type Filter = { name: Exclude<FilterName, 'default'> } | { name: 'default'; value: Json };

export interface Expression {
  /** The template as written, braces included. */
  source: string;
  path: string;
  segments: string[];
  filters: Filter[];
}

/** Literal text and expressions, in order. */
export type Piece = string | Expression;

export interface ParsedTemplate {
  pieces: Piece[];
  /** The string is exactly one template: it renders to the value itself, keeping its type. */
  whole: boolean;
  /** Problems, each naming its template; the template is unusable when there is any. */
  errors: string[];
}

/** Rendering failed at run time (the rules file was valid; the notification was not what it expected). */
export class TemplateError extends Error {
  override name = 'TemplateError';
  /** The JSON Pointer of the string that failed, when the renderer was told it. */
  at: string | undefined;
  /** The message without that location. */
  problem: string;

  constructor(message: string) {
    super(message);
    this.problem = message;
  }

  static located(where: string, problem: string): TemplateError {
    const error = new TemplateError(`${where || 'a string'}: ${problem}`);
    error.at = where || undefined;
    error.problem = problem;
    return error;
  }
}

export const MAX_TEMPLATE_SOURCE = 65_536;
export const MAX_EXPRESSIONS_PER_STRING = 50;
export const MAX_RENDERED_LENGTH = 65_536;

function shown(source: string): string {
  return source.length > 80 ? `${source.slice(0, 77)}...` : source;
}

/** Splits on `|` outside double-quoted strings. */
function splitPipes(inner: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '|' && !quoted) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

function parseFilter(text: string): { filter: Filter } | { error: string } {
  const match = /^([A-Za-z_]+)\s*(?::(.*))?$/s.exec(text);
  if (!match) return { error: `"${text}" is not a filter (filters are ${FILTERS.join(', ')})` };
  const [, name = '', arg] = match;
  if (!(FILTERS as readonly string[]).includes(name)) {
    return {
      error: `unknown filter "${name}"${didYouMean(name, FILTERS)} (filters are ${FILTERS.join(', ')})`,
    };
  }
  if (name !== 'default') {
    return arg === undefined
      ? { filter: { name } as Filter }
      : { error: `filter "${name}" takes no argument` };
  }
  if (arg === undefined || arg.trim() === '') {
    return { error: 'filter "default" needs a value, e.g. default:"unknown"' };
  }
  let value: unknown;
  try {
    value = JSON.parse(arg.trim());
  } catch {
    value = undefined;
  }
  if (value === undefined || (typeof value === 'object' && value !== null)) {
    return {
      error: `the value of "default" must be a quoted string, a number, true, false or null, not ${arg.trim()}`,
    };
  }
  const problem = typeof value === 'number' ? numberProblem(value) : undefined;
  if (problem) return { error: `the value of "default" ${problem}` };
  return { filter: { name: 'default', value: value as Json } };
}

function parseExpression(
  source: string,
  roots: PathRoots | null | undefined,
): { expression: Expression } | { error: string } {
  const fail = (message: string) => ({ error: `template "${shown(source)}": ${message}` });
  const [rawPath = '', ...rawFilters] = splitPipes(source.slice(2, -2));
  const path = rawPath.trim();
  if (path.length === 0) return fail('names no path');
  const parsed = roots === undefined ? parsePath(path) : parsePath(path, roots);
  if (!parsed.ok) return fail(parsed.message);
  const filters: Filter[] = [];
  for (const raw of rawFilters) {
    const result = parseFilter(raw.trim());
    if ('error' in result) return fail(result.error);
    filters.push(result.filter);
  }
  return { expression: { source, path, segments: parsed.segments, filters } };
}

/** `roots`: the fields paths may start with (a notification's by default; null: any). */
export function parseTemplate(text: string, roots?: PathRoots | null): ParsedTemplate {
  const pieces: Piece[] = [];
  const errors: string[] = [];
  if (text.length > MAX_TEMPLATE_SOURCE) {
    return { pieces: [text], whole: false, errors: [`is longer than ${MAX_TEMPLATE_SOURCE} characters`] };
  }
  let i = 0;
  let expressions = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    if (open > i) pieces.push(text.slice(i, open));
    let close = open + 2;
    let quoted = false;
    for (; close < text.length; close++) {
      const c = text[close];
      if (quoted && c === '\\') close++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === '}' && text[close + 1] === '}') break;
    }
    if (close >= text.length) {
      errors.push(`template "${shown(text.slice(open))}" has no closing "}}"`);
      i = text.length;
      break;
    }
    const source = text.slice(open, close + 2);
    if (++expressions > MAX_EXPRESSIONS_PER_STRING) {
      errors.push(`has more than ${MAX_EXPRESSIONS_PER_STRING} templates`);
      break;
    }
    const result = parseExpression(source, roots);
    if ('error' in result) errors.push(result.error);
    else pieces.push(result.expression);
    i = close + 2;
  }
  if (i < text.length) pieces.push(text.slice(i));
  const whole = pieces.length === 1 && typeof pieces[0] !== 'string';
  return { pieces, whole, errors };
}

export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/**
 * How a value reads inside text: nothing for missing and null, JSON for objects and lists. A number
 * that cannot be written exactly fails (9007199254740993 would read ...992, 1e21 as "1e+21").
 */
function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  const issue = typeof value === 'object' || typeof value === 'number' ? jsonShapeIssue(value) : undefined;
  if (issue) {
    const at = issue.path === '/' ? '' : ` (at ${issue.path})`;
    throw new TemplateError(`the value${at} ${issue.message}`);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * The text a text filter works on. Missing and null read as "" (documented); `domain` takes only
 * text (an email address), the others also numbers and true/false. Anything else fails the action:
 * `domain` of a list would otherwise write `b.example"]` to Intercom.
 */
function filterInput(value: unknown, filter: FilterName): string {
  if (value === undefined || value === null || typeof value === 'string') return toText(value);
  if (filter !== 'domain' && (typeof value === 'number' || typeof value === 'boolean')) return toText(value);
  const takes = filter === 'domain' ? 'text (an email address)' : 'text, a number or true/false';
  throw new TemplateError(`filter "${filter}" takes ${takes}, not ${describe(value)}`);
}

function applyFilter(value: unknown, filter: Filter): unknown {
  switch (filter.name) {
    case 'default':
      return value === undefined || value === null || value === '' ? filter.value : value;
    case 'lower':
      return filterInput(value, filter.name).toLowerCase();
    case 'upper':
      return filterInput(value, filter.name).toUpperCase();
    case 'domain': {
      const text = filterInput(value, filter.name).trim();
      const at = text.lastIndexOf('@');
      return at < 0 ? '' : text.slice(at + 1).toLowerCase();
    }
    case 'html':
      return escapeHtml(filterInput(value, filter.name));
  }
}

/** The expression's value. Throws TemplateError when a filter is given a value it does not take. */
export function evaluate(expression: Expression, root: unknown): unknown {
  let value: unknown = resolvePath(root, expression.segments);
  for (const filter of expression.filters) value = applyFilter(value, filter);
  return value;
}

/** A rendering error of one template, located: where in the params, and which template. */
function located(error: unknown, expression: Expression, where: string): unknown {
  if (!(error instanceof TemplateError)) return error;
  return TemplateError.located(where, `template "${shown(expression.source)}": ${error.message}`);
}

const cache = new Map<string, ParsedTemplate>();

function parsedOnce(text: string): ParsedTemplate {
  let parsed = cache.get(text);
  if (!parsed) {
    // Rules are fixed per container, so the cache only bounds what a pathological file could do.
    if (cache.size >= 5_000) cache.clear();
    // Any root: the rules were validated at load, each against its own trigger's fields.
    parsed = parseTemplate(text, null);
    cache.set(text, parsed);
  }
  return parsed;
}

/**
 * One string rendered against the notification. A string that is one template keeps the value's type
 * (a missing value is ""); otherwise values are interpolated as text.
 */
export function renderString(text: string, root: unknown, where = ''): unknown {
  if (!hasTemplate(text)) return text;
  const parsed = parsedOnce(text);
  if (parsed.errors.length > 0) throw TemplateError.located(where, parsed.errors.join('; '));
  if (parsed.whole) {
    const expression = parsed.pieces[0] as Expression;
    let value: unknown;
    try {
      value = evaluate(expression, root);
    } catch (error) {
      throw located(error, expression, where);
    }
    // Numbers stay numbers: the rendered input is validated as a whole, the number rule included.
    if (value === undefined) return '';
    if (typeof value !== 'object' || value === null) return checkLength(value, where);
    const json = JSON.stringify(value);
    checkLength(json, where);
    return JSON.parse(json) as unknown;
  }
  let out = '';
  for (const piece of parsed.pieces) {
    if (typeof piece === 'string') out += piece;
    else {
      try {
        out += toText(evaluate(piece, root));
      } catch (error) {
        throw located(error, piece, where);
      }
    }
    if (out.length > MAX_RENDERED_LENGTH) break;
  }
  return checkLength(out, where);
}

function checkLength<T>(value: T, where: string): T {
  if (typeof value === 'string' && value.length > MAX_RENDERED_LENGTH) {
    throw new TemplateError(`${where || 'a string'} renders more than ${MAX_RENDERED_LENGTH} characters`);
  }
  return value;
}

function pointer(base: string, key: string | number): string {
  return `${base}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** A copy of the value tree with every string rendered. Object keys are never templates. */
export function renderTree(value: Json, root: unknown, where = ''): unknown {
  if (typeof value === 'string') return renderString(value, root, where);
  if (Array.isArray(value)) return value.map((v, i) => renderTree(v, root, pointer(where, i)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      // defineProperty: a `__proto__` key stays a plain field instead of replacing the prototype.
      Object.defineProperty(out, key, {
        value: renderTree(v, root, pointer(where, key)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
