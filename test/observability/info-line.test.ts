/**
 * `logInfoLine` prints the access line without Powertools Logger (see its comment): every line it
 * prints here is compared, character for character but the timestamp, with the line the invocation's
 * Powertools logger prints for the same message and attributes in the same place.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import {
  appendLogKeys,
  isoTimestamp,
  logger,
  logInfoLine,
  ownLogContext,
  protectSecrets,
  withInvocationLog,
  withLogKeys,
} from '../../lib/observability/logger.ts';
import { CapturedOutput } from '../helpers/captured-output.ts';
import { testContext } from '../helpers/events.ts';

const output = new CapturedOutput();
const saved = { level: process.env.POWERTOOLS_LOG_LEVEL, trace: process.env._X_AMZN_TRACE_ID };
const SECRET = 'tok_info_line_secret_value';

beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1';
  protectSecrets([SECRET]);
  output.start();
});
afterAll(() => {
  output.stop();
  for (const [name, value] of [
    ['POWERTOOLS_LOG_LEVEL', saved.level],
    ['_X_AMZN_TRACE_ID', saved.trace],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
beforeEach(() => {
  output.clear();
});

type Attributes = Parameters<typeof logInfoLine>[1];

/** The INFO line logInfoLine prints, then the one Powertools prints, timestamps blanked (Powertools warns of a reserved key on a line of its own). */
function bothWays(message: string, attributes: Attributes): [string, string] {
  output.clear();
  logInfoLine(message, attributes);
  logger().info(message, attributes);
  const printed = output.chunks
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"level":"INFO"'))
    .map((line) => line.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"'));
  expect(printed).toHaveLength(2);
  return [printed[0]!, printed[1]!];
}

const ATTRIBUTES: Attributes = {
  method: 'POST',
  path: `/actions/get_user?leak=${SECRET}`,
  operation: 'get_user',
  keyName: 'ops',
  apiKey: 'named like a secret',
  empty: '',
  missing: undefined,
  status: 200,
  ms: 12,
  ok: true,
};

describe('logInfoLine', () => {
  it('prints what the invocation logger prints: Lambda context, trace id, keys, redaction, empties dropped', async () => {
    const lambda = { ...testContext('info-line'), tenantId: 'tenant-7' } as Context;
    let cold = true;
    const handler = ownLogContext(async (_event: unknown, _context: Context) => {
      appendLogKeys({ requestId: 'req-1', apiRequestId: 'gw-1' });
      const [direct, powertools] = bothWays('request', ATTRIBUTES);
      expect(direct).toBe(powertools);
      const record = JSON.parse(direct);
      expect(record).toMatchObject({
        level: 'INFO',
        cold_start: cold,
        function_name: 'info-line',
        function_request_id: lambda.awsRequestId,
        xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        tenant_id: 'tenant-7',
        requestId: 'req-1',
        apiKey: '[redacted]',
      });
      expect(direct).not.toContain(SECRET);
      expect(record).not.toHaveProperty('empty');
      expect(record).not.toHaveProperty('missing');
      // Keys of an inner context, and an attribute replacing a key's value in place.
      await withLogKeys({ jobId: 'job-9', requestId: 'req-inner' }, async () => {
        const [inner, innerPowertools] = bothWays('request', { ...ATTRIBUTES, jobId: 'job-attr' });
        expect(inner).toBe(innerPowertools);
        expect(JSON.parse(inner)).toMatchObject({ requestId: 'req-inner', jobId: 'job-attr' });
        // An undefined attribute never hides a Lambda field.
        const [kept, keptPowertools] = bothWays('request', { ...ATTRIBUTES, function_name: undefined });
        expect(kept).toBe(keptPowertools);
        expect(JSON.parse(kept)).toHaveProperty('function_name', 'info-line');
      });
    });
    // The local stack's outer context (keys of its own) around the handler's.
    await withInvocationLog(() => handler({}, lambda), { stage: 'local' });
    // The second call of the handler is warm.
    cold = false;
    await handler({}, lambda);
  });

  it('prints the same outside any Lambda invocation and outside any log context', async () => {
    await withLogKeys({ step: 'cli', stage: '', phase: undefined }, async () => {
      const [direct, powertools] = bothWays('request', ATTRIBUTES);
      expect(direct).toBe(powertools);
      // A name keeps its first place: a Lambda field empty outside Lambda, an empty or undefined key.
      const [placed, placedPowertools] = bothWays('request', {
        ...ATTRIBUTES,
        function_name: 'named-later',
        stage: 'set-later',
        phase: 'set-later',
        step: undefined,
      });
      expect(placed).toBe(placedPowertools);
      // The line's own undefined replaces a key's value, as in Powertools.
      expect(placed).not.toContain('"step"');
    });
    const [direct, powertools] = bothWays('request', ATTRIBUTES);
    expect(direct).toBe(powertools);
  });

  it('prints what an existing logger prints: the keys it holds, an undefined key ignored', async () => {
    await withLogKeys({ workspace: 'w0' }, async () => {
      await withLogKeys({ tag: 'a' }, async () => {
        // The context's Powertools logger exists from here (a line below the level still makes it).
        logger().debug('made');
        appendLogKeys({ tag: undefined });
        await withLogKeys({ step: 'x' }, async () => {
          logger().debug('made too');
          // Added to an enclosing context after the inner logger took its keys.
          appendLogKeys({ late: 'y' });
        });
        appendLogKeys({ after: 'z' });
        const [direct, powertools] = bothWays('request', ATTRIBUTES);
        expect(direct).toBe(powertools);
        expect(JSON.parse(direct)).toMatchObject({ workspace: 'w0', tag: 'a', after: 'z' });
      });
    });
  });

  it('leaves to Powertools what it does not reproduce: reserved keys, objects', async () => {
    await withLogKeys({ requestId: 'req-2' }, async () => {
      for (const attributes of [
        { ...ATTRIBUTES, service: 'not-ours' },
        { ...ATTRIBUTES, detail: { nested: true } } as unknown as Attributes,
      ]) {
        const [direct, powertools] = bothWays('request', attributes);
        expect(direct).toBe(powertools);
      }
    });
  });
});

describe('isoTimestamp', () => {
  it('writes what Date writes, within a second, across seconds and at its edges', () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 58);
    const instants = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1999, 2000, 2001, 5, 999].map((d) => start + d);
    instants.push(0, 999, -1, -1000, 253402300799999, 253402300800000, 1e15 + 7);
    instants.push(start + 1.5, start + 999.9, -0.5);
    for (const ms of instants) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});
