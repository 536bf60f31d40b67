/** A MockAgent standing in for Intercom, with a fake clock and a recording sleep. */
import { MockAgent } from 'undici';
import { IntercomClient, type IntercomClientOptions } from '../../lib/intercom/index.ts';

export const ORIGIN = 'https://api.intercom.io';
export const JSON_HEADERS = { 'content-type': 'application/json' };

export function rateHeaders(remaining: number, resetSeconds: number, limit = 167): Record<string, string> {
  return {
    ...JSON_HEADERS,
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(resetSeconds),
  };
}

export function errorList(code: string, message: string, requestId = 'req-1') {
  return { type: 'error.list', request_id: requestId, errors: [{ code, message }] };
}

export interface MockIntercom {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  client: IntercomClient;
  /** Delays the client asked to sleep, in order. */
  sleeps: number[];
  clock: { now: number };
}

export function mockIntercom(options: Partial<IntercomClientOptions> = {}): MockIntercom {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const origin = options.baseUrl ? new URL(options.baseUrl).origin : ORIGIN;
  const pool = agent.get(origin);
  const sleeps: number[] = [];
  const clock = { now: 1_700_000_000_000 };
  const client = new IntercomClient({
    token: 'tok_secret',
    dispatcher: agent,
    now: () => clock.now,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    ...options,
  });
  return { agent, pool, client, sleeps, clock };
}
