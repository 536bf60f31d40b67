import { describe, expect, it } from '@jest/globals';
import { presentedKey } from '../../lib/auth/api-keys.ts';
import { apiGatewayEvent, localUrl } from '../../lib/local/apigw.ts';

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
