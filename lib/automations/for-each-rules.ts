/**
 * Reading a rule's `forEach`: which operation it enumerates (a scroll, or a list of people, companies
 * or conversations), the conditions a record must meet, and the bound on one run. The enumeration's
 * own input is read like an action's (its templates render against the trigger); the rule's one
 * action renders against each record as `item`, so the record samples below stand in for it when
 * the file is validated.
 */
import { findOperation, type Operation } from '../catalog/index.ts';
import type { PathCheck } from './conditions.ts';
import { readCondition } from './conditions.ts';
import { type PathProblem, type PathRoots, pathProblem } from './paths.ts';
import { describe, isObject, pointer, type Report, rejectUnknownKeys } from './reader.ts';
import { SAMPLES } from './samples.ts';
import type { TriggerScope } from './triggers.ts';
import type { Action, Condition, ForEach, Json } from './types.ts';

const FOR_EACH_KEYS = ['operation', 'params', 'where', 'maxItems'];
/** Records one run acts on unless the rule says otherwise, and the most it may say. */
export const DEFAULT_FOR_EACH_ITEMS = 1_000;
export const MAX_FOR_EACH_ITEMS = 10_000;
const MAX_WHERE = 20;

/**
 * The record an enumeration yields, by the key its records come under (the operation's first results
 * key: `list_users_for_company` yields users): the item of a notification about one.
 */
const RECORD_SAMPLES: Readonly<Record<string, unknown>> = {
  users: SAMPLES['user.created'].data.item,
  contacts: SAMPLES['contact.created'].data.item,
  companies: SAMPLES['company.created'].data.item,
  conversations: SAMPLES['conversation.user.created'].data.item,
};

const recordKey = (op: Operation): string => op.resultsKeys?.[0] ?? '';

/** Whether a rule may enumerate `op`: a scroll, or a paged list (lib/scroll) of records we have a sample of. */
export function isEnumerable(op: Operation): boolean {
  return (op.pagination === 'scroll' || op.pagination === 'pages') && recordKey(op) in RECORD_SAMPLES;
}

/** What a for-each rule's templates and conditions see for one record: the trigger, and the record as `item`. */
export function recordRoot(trigger: unknown, record: unknown): Record<string, unknown> {
  return { ...(trigger as Record<string, unknown>), item: record };
}

/** Where a `where` path starts: the record. */
const RECORD_ROOTS: PathRoots = { what: 'the record', fields: ['item'] };

/** A path on the record (`item.`) checked against a record of what `operation` enumerates. */
function recordPathCheck(operation: Operation, report: Report): PathCheck {
  const root = recordRoot({}, RECORD_SAMPLES[recordKey(operation)]);
  return (at, segments) => {
    const problem: PathProblem | undefined = pathProblem(root, segments);
    if (!problem) return;
    if (problem.kind === 'shape') report(at, problem.message);
    else {
      const hint = problem.suggestion === undefined ? '' : `; did you mean "${problem.suggestion}"?`;
      report(at, `"${segments.join('.')}" is not in ${operation.name} records${hint}`);
    }
  };
}

/**
 * What a for-each rule's action is read against: the trigger's fields (its `base` scope: paths,
 * checks and sample) and the record as `item`.
 */
export function forEachRecordScope(operation: string, report: Report, base: TriggerScope): TriggerScope {
  const op = findOperation(operation)!;
  const checkRecord = recordPathCheck(op, report);
  return {
    roots: base.roots && {
      what: `${base.roots.what} or the record (item)`,
      fields: [...base.roots.fields, 'item'],
    },
    checkPath: (at, segments) =>
      segments[0] === 'item' ? checkRecord(at, segments) : base.checkPath(at, segments),
    sample: base.sample && recordRoot(base.sample, RECORD_SAMPLES[recordKey(op)]),
    sampleName: `a ${op.name} record`,
  };
}

/**
 * The `forEach` of a rule, or undefined (with its problems reported). `readEnumeration` reads the
 * `{operation, params}` part as the rule reads an action against the trigger's samples.
 */
export function readForEach(
  raw: unknown,
  at: string,
  report: Report,
  readEnumeration: (spec: { operation: unknown; params: unknown }, at: string) => Action | undefined,
): ForEach | undefined {
  if (!isObject(raw)) {
    report(at, `must be an object {operation, params?, where?, maxItems?}, not ${describe(raw)}`);
    return undefined;
  }
  let problems = 0;
  const counted: Report = (path, message) => {
    problems++;
    report(path, message);
  };
  rejectUnknownKeys(raw, FOR_EACH_KEYS, at, counted);
  const op = typeof raw.operation === 'string' ? findOperation(raw.operation) : undefined;
  if (op && !isEnumerable(op)) {
    counted(
      pointer(at, 'operation'),
      `"${op.name}" does not enumerate records a rule can act on: use a scroll (scroll_users, scroll_leads, scroll_companies) or a list of users, leads, companies or conversations`,
    );
  }
  const enumeration = readEnumeration({ operation: raw.operation, params: raw.params ?? {} }, at);
  if (!enumeration) problems++;

  const where: Condition[] = [];
  if (raw.where !== undefined) {
    if (!Array.isArray(raw.where) || raw.where.length > MAX_WHERE) {
      counted(pointer(at, 'where'), `must be a list of at most ${MAX_WHERE} conditions`);
    } else if (op && isEnumerable(op)) {
      const check = recordPathCheck(op, counted);
      for (const [i, entry] of raw.where.entries()) {
        const condition = readCondition(
          entry,
          pointer(pointer(at, 'where'), i),
          counted,
          check,
          RECORD_ROOTS,
        );
        if (condition) where.push(condition);
      }
    }
  }
  const { maxItems = DEFAULT_FOR_EACH_ITEMS } = raw;
  if (
    typeof maxItems !== 'number' ||
    !Number.isInteger(maxItems) ||
    maxItems < 1 ||
    maxItems > MAX_FOR_EACH_ITEMS
  ) {
    counted(pointer(at, 'maxItems'), `must be an integer from 1 to ${MAX_FOR_EACH_ITEMS}`);
  }
  if (problems > 0 || !enumeration) return undefined;
  return {
    operation: enumeration.operation,
    params: enumeration.params as { [key: string]: Json },
    where,
    maxItems: maxItems as number,
  };
}
