/**
 * The OpenAPI document runs as imported (what a Postman collection converted from it sends): every
 * request example, sent to the server, method and path the document names, gets past validation on
 * the local stack. Past validation means any answer but 400 `validation_failed`: the sandbox answers
 * 404 for the ids the examples make up (`get_user` of id "1"), which is Intercom's answer, not ours.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operations } from '../../lib/catalog/index.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack();
}, 30_000);
afterAll(async () => t?.close());

interface Sent {
  request: string;
  status: number;
  /** The error code, or for a bulk request the items the intake rejected (an invalid example would be). */
  code: string | undefined;
}

describe('the OpenAPI document, as imported', () => {
  it('sends each example to its server and path and never fails validation', async () => {
    const res = await fetch(`${t.stack.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as any;
    const [server] = document.servers;
    // The server the document names is the stack it was fetched from.
    expect(server.url).toBe('{apiUrl}');
    const base = server.url.replace('{apiUrl}', server.variables.apiUrl.default);
    expect(base).toBe(t.stack.url);
    const sent: Sent[] = [];
    for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(methods)) {
        const content = operation.requestBody?.content?.['application/json'];
        if (!content || path === '/webhooks/intercom') continue;
        expect({ path, example: content.example !== undefined }).toEqual({ path, example: true });
        const answer = await fetch(`${base}${path}`, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${t.stack.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(content.example),
        });
        const json = (await answer.json()) as any;
        const code = answer.ok
          ? json.rejected?.length
            ? `rejected: ${JSON.stringify(json.rejected)}`
            : undefined
          : json.error.code;
        sent.push({ request: `${method.toUpperCase()} ${path}`, status: answer.status, code });
      }
    }
    const actions = sent.filter((s) => s.request.startsWith('POST /actions/'));
    expect(actions).toHaveLength(operations.length);
    const bulk = sent.filter((s) => s.request.startsWith('POST /bulk/'));
    expect(bulk.length).toBeGreaterThan(50);
    // Queued whole: the bulk intake validates each item and would list a bad one under `rejected`.
    expect(bulk.filter((s) => s.status !== 202 || s.code !== undefined)).toEqual([]);
    expect(sent.filter((s) => s.status === 400 && s.code === 'validation_failed')).toEqual([]);
    // The examples reach Intercom (here the sandbox): some succeed, the made-up ids are not found.
    expect(actions.filter((s) => s.status === 200).length).toBeGreaterThan(20);
    expect(actions.filter((s) => s.status === 404).length).toBeGreaterThan(10);
  });
});
