/** The recorded Intercom 1.x answers of test/fixtures/intercom-v1 and the requests that got them. */
import { readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { type CallOptions, type CallResult, call } from '../helpers.ts';

const DIR = new URL('../../fixtures/intercom-v1/', import.meta.url);

export interface RecordedRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  /** The JSON body sent; a string where the body was an earlier answer (sources.json says which). */
  body?: unknown;
}

/** An entry of sources.json: a repository's file (and commit), or a reference page. */
export interface Source {
  repository?: string;
  path?: string;
  commit?: string | null;
  url?: string;
  copy: string;
  request?: RecordedRequest;
  status?: number;
}

/** sources.json, the index of the fixtures: one entry per file, by its path under intercom-v1. */
export const sources: Readonly<Record<string, Source>> = JSON.parse(
  readFileSync(new URL('sources.json', DIR), 'utf8'),
);

/** Every fixture file's path under test/fixtures/intercom-v1. */
export function fixtureFiles(): string[] {
  return readdirSync(DIR, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json') && name !== 'sources.json')
    .map((name) => name.split(sep).join('/'))
    .sort();
}

/** A fixture file, parsed; `name` is its path under test/fixtures/intercom-v1. */
export function fixture(name: string): any {
  if (!sources[name]) throw new Error(`${name} has no entry in sources.json`);
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
}

/** The request a recorded fixture answered, and its status. */
export function recording(name: string): { request: RecordedRequest; status: number } {
  const source = sources[name];
  if (!source?.request || source.status === undefined) throw new Error(`${name} is not a recorded exchange`);
  return { request: source.request, status: source.status };
}

/** Sends a recorded request to the sandbox; `body` replaces a recorded body that was an earlier answer. */
export function replay(
  sandbox: Sandbox,
  request: RecordedRequest,
  options: CallOptions & { body?: unknown } = {},
): Promise<CallResult> {
  const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
  const body = options.body ?? request.body;
  return call(sandbox, `${request.path}${query}`, {
    ...options,
    method: request.method,
    ...(body === undefined ? {} : { body }),
  });
}
