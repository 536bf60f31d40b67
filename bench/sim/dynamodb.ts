/**
 * An in-memory stand-in for the DynamoDB document client, for the capacity simulation: the commands
 * the job store and the rate governor send (UpdateItem with SET / ADD / REMOVE, `if_not_exists` and
 * conditions, GetItem, Query on the key), each applied atomically half-way through an AWS-like
 * latency, so concurrent conditional writes on one record race and lose as they would on DynamoDB:
 * a write whose condition no longer holds when it lands fails with ConditionalCheckFailedException.
 * Anything else it is sent throws, so the simulation cannot pass on a command it does not model.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;
type Names = Record<string, string>;
type Values = Record<string, unknown>;

/** A call's latency: uniform over a range (AWS's published figures), or drawn from measured samples. */
export type LatencyRange = { minMs: number; maxMs: number } | { samples: readonly number[] };

export function drawLatency(latency: LatencyRange, random: () => number): number {
  if ('samples' in latency) return latency.samples[Math.floor(random() * latency.samples.length)] ?? 0;
  return latency.minMs + random() * (latency.maxMs - latency.minMs);
}

export interface MemoryDynamoStats {
  /** Calls by action (`UpdateItem`, `GetItem`, `Query`). */
  calls: Record<string, number>;
  /** Conditional writes refused, by the key's sort-key prefix (`window`, `item`, `job`, ...). */
  conditionFailures: Record<string, number>;
}

class ConditionalCheckFailedException extends Error {
  override name = 'ConditionalCheckFailedException';
}

// --- expressions -----------------------------------------------------------------------------

type Token = { kind: 'name' | 'value' | 'word' | 'op' | 'punct'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|(<>|<=|>=|=|<|>|\+|-)|([(),.])|([A-Za-z_][A-Za-z0-9_]*))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m) throw new Error(`memory DynamoDB: cannot parse "${expression}" at ${at}`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'value', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'punct', text: m[4] });
    else tokens.push({ kind: 'word', text: m[5]! });
  }
  return tokens;
}

class Parser {
  #tokens: Token[];
  #at = 0;
  readonly #names: Names;
  readonly #values: Values;

  constructor(expression: string, names: Names = {}, values: Values = {}) {
    this.#tokens = tokenize(expression);
    this.#names = names;
    this.#values = values;
  }

  get done(): boolean {
    return this.#at >= this.#tokens.length;
  }

  peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  next(): Token {
    const token = this.#tokens[this.#at++];
    if (!token) throw new Error('memory DynamoDB: unexpected end of expression');
    return token;
  }

  expect(text: string): void {
    const token = this.next();
    if (token.text.toUpperCase() !== text.toUpperCase())
      throw new Error(`memory DynamoDB: expected "${text}", got "${token.text}"`);
  }

  isWord(text: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.text.toUpperCase() === text;
  }

  /** A document path: `#a`, `#a.#b`, `plain`. */
  path(): string[] {
    const parts = [this.#pathPart()];
    while (this.peek()?.text === '.') {
      this.next();
      parts.push(this.#pathPart());
    }
    return parts;
  }

  #pathPart(): string {
    const token = this.next();
    if (token.kind === 'name') {
      const name = this.#names[token.text];
      if (name === undefined)
        throw new Error(`memory DynamoDB: no ExpressionAttributeNames entry ${token.text}`);
      return name;
    }
    if (token.kind === 'word') return token.text;
    throw new Error(`memory DynamoDB: expected a path, got "${token.text}"`);
  }

  value(token: Token): unknown {
    if (!(token.text in this.#values))
      throw new Error(`memory DynamoDB: no ExpressionAttributeValues entry ${token.text}`);
    return this.#values[token.text];
  }

  /** A path or a `:value`, evaluated against `item`. */
  operand(item: Item): unknown {
    const token = this.peek();
    if (token?.kind === 'value') return this.value(this.next());
    return getPath(item, this.path());
  }
}

function getPath(item: Item, path: string[]): unknown {
  let current: unknown = item;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Item)[part];
  }
  return current;
}

function setPath(item: Item, path: string[], value: unknown): void {
  let current: Item = item;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    if (typeof next !== 'object' || next === null)
      throw new ValidationError('The document path provided in the update expression is invalid');
    current = next as Item;
  }
  current[path.at(-1)!] = value;
}

function removePath(item: Item, path: string[]): void {
  const parent = getPath(item, path.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) delete (parent as Item)[path.at(-1)!];
}

class ValidationError extends Error {
  override name = 'ValidationException';
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '=') return same(a, b);
  if (op === '<>') return a !== undefined && b !== undefined && !same(a, b);
  // Ordering needs two values of one scalar type; anything else is false, as in DynamoDB.
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  if (op === '<') return x < y;
  if (op === '<=') return x <= y;
  if (op === '>') return x > y;
  if (op === '>=') return x >= y;
  throw new Error(`memory DynamoDB: unknown comparator ${op}`);
}

/** Evaluates a condition expression (AND, OR, NOT, parentheses, comparisons, attribute_(not_)exists, begins_with, BETWEEN). */
export function evaluateCondition(expression: string, item: Item, names?: Names, values?: Values): boolean {
  const p = new Parser(expression, names, values);
  const or = (): boolean => {
    let result = and();
    while (p.isWord('OR')) {
      p.next();
      const right = and();
      result = result || right;
    }
    return result;
  };
  const and = (): boolean => {
    let result = not();
    while (p.isWord('AND')) {
      p.next();
      const right = not();
      result = result && right;
    }
    return result;
  };
  const not = (): boolean => {
    if (p.isWord('NOT')) {
      p.next();
      return !not();
    }
    return primary();
  };
  const primary = (): boolean => {
    if (p.peek()?.text === '(') {
      p.next();
      const result = or();
      p.expect(')');
      return result;
    }
    for (const fn of ['attribute_exists', 'attribute_not_exists', 'begins_with']) {
      if (p.peek()?.kind === 'word' && p.peek()?.text === fn) {
        p.next();
        p.expect('(');
        const path = p.path();
        let result: boolean;
        if (fn === 'begins_with') {
          p.expect(',');
          const prefix = p.operand(item);
          const value = getPath(item, path);
          result = typeof value === 'string' && typeof prefix === 'string' && value.startsWith(prefix);
        } else {
          const exists = getPath(item, path) !== undefined;
          result = fn === 'attribute_exists' ? exists : !exists;
        }
        p.expect(')');
        return result;
      }
    }
    const left = p.operand(item);
    if (p.isWord('BETWEEN')) {
      p.next();
      const low = p.operand(item);
      p.expect('AND');
      const high = p.operand(item);
      return compare('>=', left, low) && compare('<=', left, high);
    }
    const op = p.next();
    if (op.kind !== 'op') throw new Error(`memory DynamoDB: expected a comparator, got "${op.text}"`);
    return compare(op.text, left, p.operand(item));
  };
  const result = or();
  if (!p.done) throw new Error(`memory DynamoDB: trailing tokens in "${expression}"`);
  return result;
}

/** Applies an update expression (SET with if_not_exists and + / -, ADD on numbers, REMOVE) to `item` in place. */
export function applyUpdate(expression: string, item: Item, names?: Names, values?: Values): void {
  const p = new Parser(expression, names, values);
  // Every right-hand side reads the item as it was before the update, as DynamoDB does.
  const before = structuredClone(item);
  const sets: Array<[string[], unknown]> = [];
  const adds: Array<[string[], unknown]> = [];
  const removes: string[][] = [];
  const term = (): unknown => {
    if (p.peek()?.kind === 'word' && p.peek()?.text === 'if_not_exists') {
      p.next();
      p.expect('(');
      const path = p.path();
      p.expect(',');
      const fallback = p.operand(before);
      p.expect(')');
      return getPath(before, path) ?? fallback;
    }
    return p.operand(before);
  };
  let clause = '';
  while (!p.done) {
    const token = p.peek()!;
    if (token.kind === 'word' && ['SET', 'ADD', 'REMOVE', 'DELETE'].includes(token.text.toUpperCase())) {
      clause = p.next().text.toUpperCase();
      if (clause === 'DELETE') throw new Error('memory DynamoDB: DELETE clauses are not modelled');
      continue;
    }
    if (token.text === ',') {
      p.next();
      continue;
    }
    const path = p.path();
    if (clause === 'SET') {
      p.expect('=');
      let value = term();
      const op = p.peek();
      if (op?.kind === 'op' && (op.text === '+' || op.text === '-')) {
        p.next();
        const right = term();
        if (typeof value !== 'number' || typeof right !== 'number')
          throw new ValidationError('An operand in the update expression has an incorrect data type');
        value = op.text === '+' ? value + right : value - right;
      }
      sets.push([path, value]);
    } else if (clause === 'ADD') {
      adds.push([path, p.value(p.next())]);
    } else if (clause === 'REMOVE') {
      removes.push(path);
    } else {
      throw new Error(`memory DynamoDB: "${expression}" has an action outside a clause`);
    }
  }
  for (const [path, value] of sets) setPath(item, path, structuredClone(value));
  for (const [path, value] of adds) {
    const current = getPath(item, path);
    if (typeof value !== 'number' || (current !== undefined && typeof current !== 'number'))
      throw new Error('memory DynamoDB: ADD is modelled on numbers only');
    setPath(item, path, ((current as number | undefined) ?? 0) + value);
  }
  for (const path of removes) removePath(item, path);
}

// --- the client ----------------------------------------------------------------------------------

/** The fields of the commands' inputs this stand-in reads. */
interface CommandInput {
  TableName: string;
  Key: Item;
  IndexName?: string;
  UpdateExpression: string;
  ConditionExpression?: string;
  KeyConditionExpression: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Names;
  ExpressionAttributeValues?: Values;
  ExclusiveStartKey?: Item;
  Limit?: number;
  ReturnValues?: string;
  /** PutItem's whole item. */
  Item?: Item;
}

interface Table {
  /** `${pk}\u0000${sk}` -> item. */
  items: Map<string, Item>;
}

const keyOf = (key: Item) => `${String(key.pk)}\u0000${String(key.sk ?? '')}`;

/** What kind of record a key is, for the conflict counts: `window`, `item`, `job`, `state`, ... */
const kindOf = (key: Item) => String(key.sk ?? '').split(/[#_]/)[0] || 'record';

export class MemoryDynamo {
  readonly #tables = new Map<string, Table>();
  readonly #latency: LatencyRange;
  readonly #random: () => number;
  readonly stats: MemoryDynamoStats = { calls: {}, conditionFailures: {} };

  constructor(latency: LatencyRange, random: () => number = Math.random) {
    this.#latency = latency;
    this.#random = random;
  }

  /** The document client's interface, as far as the job store and the governor use it. */
  asDocumentClient(): DynamoDBDocumentClient {
    return { send: (command: unknown) => this.send(command) } as unknown as DynamoDBDocumentClient;
  }

  #table(name: string): Table {
    let table = this.#tables.get(name);
    if (!table) {
      table = { items: new Map() };
      this.#tables.set(name, table);
    }
    return table;
  }

  /** Every item of a table (for the simulation's final checks). */
  scan(table: string): Item[] {
    return [...this.#table(table).items.values()].map((item) => structuredClone(item));
  }

  async send(command: unknown): Promise<unknown> {
    const name = (command as { constructor: { name: string } }).constructor.name;
    const input = (command as { input: CommandInput }).input;
    const action = {
      UpdateCommand: 'UpdateItem',
      GetCommand: 'GetItem',
      QueryCommand: 'Query',
      PutCommand: 'PutItem',
    }[name];
    if (!action) throw new Error(`memory DynamoDB: ${name} is not modelled`);
    this.stats.calls[action] = (this.stats.calls[action] ?? 0) + 1;
    // The request travels half the round trip, is applied at once, and the answer travels back.
    const total = drawLatency(this.#latency, this.#random);
    await sleep(total / 2);
    let result: unknown;
    let failure: unknown;
    try {
      if (action === 'UpdateItem') result = this.#update(input);
      else if (action === 'GetItem') result = this.#get(input);
      else if (action === 'PutItem') result = this.#put(input);
      else result = this.#query(input);
    } catch (error) {
      failure = error;
    }
    await sleep(total / 2);
    if (failure) throw failure;
    return result;
  }

  #put(input: CommandInput) {
    const item = structuredClone(input.Item!);
    const key = keyOf({ pk: item.pk, sk: item.sk });
    const existing = this.#table(input.TableName).items.get(key) ?? {};
    if (
      input.ConditionExpression &&
      !evaluateCondition(
        input.ConditionExpression,
        existing,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      const kind = kindOf(item);
      this.stats.conditionFailures[kind] = (this.stats.conditionFailures[kind] ?? 0) + 1;
      throw new ConditionalCheckFailedException('The conditional request failed');
    }
    this.#table(input.TableName).items.set(key, item);
    return {};
  }

  #get(input: CommandInput) {
    const item = this.#table(input.TableName).items.get(keyOf(input.Key));
    if (input.ProjectionExpression) throw new Error('memory DynamoDB: GetItem projections are not modelled');
    return { Item: item ? structuredClone(item) : undefined };
  }

  #update(input: CommandInput) {
    const table = this.#table(input.TableName);
    const key = keyOf(input.Key);
    const existing = table.items.get(key);
    const current: Item = existing ? structuredClone(existing) : {};
    if (
      input.ConditionExpression &&
      !evaluateCondition(
        input.ConditionExpression,
        current,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      const kind = kindOf(input.Key);
      this.stats.conditionFailures[kind] = (this.stats.conditionFailures[kind] ?? 0) + 1;
      throw new ConditionalCheckFailedException('The conditional request failed');
    }
    const updated: Item = { ...current, ...structuredClone(input.Key) };
    applyUpdate(
      input.UpdateExpression,
      updated,
      input.ExpressionAttributeNames,
      input.ExpressionAttributeValues,
    );
    table.items.set(key, updated);
    const returned = input.ReturnValues ?? 'NONE';
    if (returned === 'NONE') return {};
    if (returned === 'ALL_OLD') return { Attributes: existing ? structuredClone(existing) : undefined };
    if (returned === 'ALL_NEW') return { Attributes: structuredClone(updated) };
    if (returned === 'UPDATED_NEW' || returned === 'UPDATED_OLD') {
      // The attributes the update expression names (top level), as they are after or were before it.
      const named = new Set(
        [...input.UpdateExpression.matchAll(/(?:^|[\s,])(#\w+)/g)].map(
          (m) => input.ExpressionAttributeNames?.[m[1]!],
        ),
      );
      const from = returned === 'UPDATED_NEW' ? updated : (existing ?? {});
      const picked = Object.fromEntries(Object.entries(from).filter(([name]) => named.has(name)));
      return { Attributes: Object.keys(picked).length > 0 ? structuredClone(picked) : undefined };
    }
    throw new Error(`memory DynamoDB: ReturnValues ${returned} is not modelled`);
  }

  #query(input: CommandInput) {
    if (input.IndexName || input.FilterExpression || input.ExclusiveStartKey || input.Limit)
      throw new Error('memory DynamoDB: only key-condition queries of one page are modelled');
    const items = [...this.#table(input.TableName).items.values()]
      .filter((item) =>
        evaluateCondition(
          input.KeyConditionExpression,
          item,
          input.ExpressionAttributeNames,
          input.ExpressionAttributeValues,
        ),
      )
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    return { Items: items.map((item) => structuredClone(item)) };
  }
}
