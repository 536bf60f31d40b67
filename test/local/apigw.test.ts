import { describe, expect, it } from '@jest/globals';
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
});
