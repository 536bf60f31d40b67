import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { presentedKey } from '../../lib/auth/api-keys.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../lib/http/routes.ts';
import { apiGatewayEvent, localUrl } from '../../lib/local/apigw.ts';
import { type HttpHandler, type LocalServer, startLocalServer } from '../../lib/local/http-server.ts';

describe('the local API Gateway reads request targets as API Gateway does', () => {
  it('keeps a leading // in the path instead of reading it as a host', () => {
    expect(localUrl('//actions/list_tags').pathname).toBe('//actions/list_tags');
    expect(localUrl('/actions/list_tags?x=1').pathname).toBe('/actions/list_tags');
    expect(localUrl('http://other.example/actions/get_user').pathname).toBe('/actions/get_user');
    expect(localUrl('*').pathname).toBe('/*');
    expect(localUrl(undefined).pathname).toBe('/');
  });

  it('puts that path in the event, so // routes nowhere (as on AWS)', () => {
    const event = apiGatewayEvent(
      {
        method: 'POST',
        url: '//actions/list_tags',
        headers: {},
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      '$default',
    );
    expect(event.rawPath).toBe('//actions/list_tags');
  });

  it('joins repeated header lines with a comma, as API Gateway does, so two Bearer keys match none', () => {
    const event = apiGatewayEvent(
      {
        method: 'GET',
        url: '/bulk/jobs/job_abcdefgh1234',
        headers: {
          authorization: ['Bearer ia_first_key_0000000000', 'Bearer ia_second_key_000000000'],
          'x-api-key': ['k1', 'k2'],
          cookie: ['a=1; b=2', 'c=3'],
          accept: 'application/json',
        },
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      'GET /bulk/jobs/{jobId}',
    );
    expect(event.headers.authorization).toBe('Bearer ia_first_key_0000000000,Bearer ia_second_key_000000000');
    expect(event.headers['x-api-key']).toBe('k1,k2');
    expect(event.headers.accept).toBe('application/json');
    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(presentedKey(event.headers)).toBeUndefined();
  });
});

describe("the local API Gateway enforces Lambda's 6 MB response limit as AWS does", () => {
  const LIMIT = 6_291_556;
  let server: LocalServer;
  let answer: APIGatewayProxyStructuredResultV2;
  const logged: number[] = [];
  // What the local server prints for a failed invocation: Lambda's own message.
  const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);

  beforeAll(async () => {
    const handler: HttpHandler = async () => answer;
    const handlers = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, handler])) as Record<
      FunctionName,
      HttpHandler
    >;
    server = await startLocalServer({ handlers, onRequest: (line) => logged.push(line.status) });
  });
  afterAll(async () => {
    await server?.close();
    printed.mockRestore();
  });

  /** A handler answer whose serialization (what Lambda counts) is exactly `bytes` long, its body `fill`ed. */
  function answerOf(bytes: number, fill = 'x'): APIGatewayProxyStructuredResultV2 {
    const base = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '' };
    const overhead = Buffer.byteLength(JSON.stringify(base));
    const perChar = Buffer.byteLength(JSON.stringify(fill)) - 2;
    const body = fill.repeat(Math.floor((bytes - overhead) / perChar));
    const result = {
      ...base,
      body: body + 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify({ ...base, body }))),
    };
    expect(Buffer.byteLength(JSON.stringify(result))).toBe(bytes);
    return result;
  }

  async function get() {
    const res = await fetch(`${server.url}/health`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }

  it('returns an answer of exactly 6,291,556 bytes', async () => {
    answer = answerOf(LIMIT);
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.text).toBe(answer.body);
  });

  it('answers one byte more with 500 {"message":"Internal Server Error"}', async () => {
    answer = answerOf(LIMIT + 1);
    const res = await get();
    expect(res).toEqual({
      status: 500,
      type: 'application/json',
      text: '{"message":"Internal Server Error"}',
    });
    expect(logged.at(-1)).toBe(500);
    expect(printed).toHaveBeenLastCalledWith(
      'handler failed:',
      'Response payload size exceeded maximum allowed payload size (6291556 bytes): 6291557 bytes',
    );
  });

  it('counts the serialized answer, where each quote of the body takes two bytes', async () => {
    answer = answerOf(LIMIT + 1, '"');
    expect(answer.body!.length).toBeLessThan(LIMIT / 2);
    expect((await get()).status).toBe(500);
    answer = answerOf(LIMIT, '"');
    expect((await get()).status).toBe(200);
  });
});
