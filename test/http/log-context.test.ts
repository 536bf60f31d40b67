/** The log context helpers: each context's keys stay on its own lines, and secrets stay redacted. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import {
  appendLogKeys,
  logger,
  ownLogContext,
  protectSecrets,
  withInvocationLog,
  withLogKeys,
} from '../../lib/observability/logger.ts';
import { CapturedOutput } from '../helpers/captured-output.ts';
import { testContext } from '../helpers/events.ts';

const output = new CapturedOutput();
const chunks = output.chunks;
const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(() => {
  // Read once, when the process logger is first used.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  output.start();
});
afterAll(() => {
  output.stop();
  if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
});
beforeEach(() => {
  output.clear();
});

const lines = (): Record<string, any>[] => output.records();

function line(message: string): Record<string, any> {
  const found = lines().filter((r) => r.message === message);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const KEYS = ['requestId', 'jobId', 'index', 'step', 'messageId'];
function keysOf(record: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(KEYS.filter((k) => k in record).map((k) => [k, record[k]]));
}

describe('log contexts', () => {
  it('adds keys in nested contexts without reaching the enclosing one or lines outside any', async () => {
    logger().info('before');
    await withLogKeys({ requestId: 'r1' }, async () => {
      logger().info('outer');
      await withLogKeys({ jobId: 'job_1' }, async () => {
        appendLogKeys({ index: 3 });
        await sleep(1);
        logger().info('inner');
      });
      logger().info('outer again');
      appendLogKeys({ step: 'late' });
      logger().info('outer late');
    });
    logger().info('after');

    expect(keysOf(line('before'))).toEqual({});
    expect(keysOf(line('outer'))).toEqual({ requestId: 'r1' });
    expect(keysOf(line('inner'))).toEqual({ requestId: 'r1', jobId: 'job_1', index: 3 });
    expect(keysOf(line('outer again'))).toEqual({ requestId: 'r1' });
    expect(keysOf(line('outer late'))).toEqual({ requestId: 'r1', step: 'late' });
    expect(keysOf(line('after'))).toEqual({});
  });

  it('keeps 50 interleaved concurrent contexts apart, each line with its own keys only', async () => {
    const handler = ownLogContext(async (id: number, _context: undefined) => {
      await sleep(50 - id);
      appendLogKeys({ requestId: `req-${id}` });
      await sleep(id % 7);
      logger().info(`first ${id}`);
      await withLogKeys({ messageId: `m-${id}` }, async () => {
        await sleep(id % 3);
        logger().warn(`nested ${id}`);
      });
      await sleep(id % 5);
      logger().info(`last ${id}`);
    });
    await Promise.all(Array.from({ length: 50 }, (_, id) => handler(id, undefined)));
    logger().info('outside');

    for (let id = 0; id < 50; id++) {
      expect(keysOf(line(`first ${id}`))).toEqual({ requestId: `req-${id}` });
      expect(keysOf(line(`nested ${id}`))).toEqual({ requestId: `req-${id}`, messageId: `m-${id}` });
      expect(keysOf(line(`last ${id}`))).toEqual({ requestId: `req-${id}` });
    }
    expect(keysOf(line('outside'))).toEqual({});
  });

  it('starts an invocation with none of its caller context keys, as a Lambda of its own', async () => {
    await withLogKeys({ requestId: 'caller' }, async () => {
      await withInvocationLog(async () => {
        logger().info('invoked');
        appendLogKeys({ jobId: 'job_2' });
        logger().info('invoked with job');
      });
      logger().info('caller after');
    });
    expect(keysOf(line('invoked'))).toEqual({});
    expect(keysOf(line('invoked with job'))).toEqual({ jobId: 'job_2' });
    expect(keysOf(line('caller after'))).toEqual({ requestId: 'caller' });
  });

  it('puts the Lambda context on every line of an invocation, cold_start on the first invocation only', async () => {
    const traceHeader = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1';
    const handler = ownLogContext(async (name: string, _context: Context) => {
      logger().info(`${name} start`);
      await withLogKeys({ messageId: `${name}-m` }, async () => {
        await sleep(1);
        logger().info(`${name} nested`);
      });
    });
    const first = testContext('users');
    const second = testContext('users');
    await handler('first', first);
    process.env._X_AMZN_TRACE_ID = traceHeader;
    try {
      await Promise.all([handler('second', second), handler('third', testContext('users'))]);
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    logger().info('outside');

    const lambdaKeys = (r: Record<string, any>) => ({
      cold_start: r.cold_start,
      function_name: r.function_name,
      function_request_id: r.function_request_id,
    });
    for (const message of ['first start', 'first nested'])
      expect(lambdaKeys(line(message))).toEqual({
        cold_start: true,
        function_name: 'users',
        function_request_id: first.awsRequestId,
      });
    for (const message of ['second start', 'second nested'])
      expect(lambdaKeys(line(message))).toEqual({
        cold_start: false,
        function_name: 'users',
        function_request_id: second.awsRequestId,
      });
    expect(line('first start')).not.toHaveProperty('xray_trace_id');
    expect(line('second nested')).toMatchObject({
      messageId: 'second-m',
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      function_arn: second.invokedFunctionArn,
      function_memory_size: '512',
    });
    expect(line('third nested').cold_start).toBe(false);
    expect(line('outside')).not.toHaveProperty('function_request_id');
    expect(line('outside')).not.toHaveProperty('cold_start');
  });

  it("reuses an ended invocation's logger without its keys, and a line logged after its end keeps them", async () => {
    // Ended invocations hand their loggers to later ones: nothing of one may show on the other's lines,
    // not even when the first logs again (a straggling promise) while the second runs.
    let releaseStraggler!: () => void;
    const gate = new Promise<void>((resolve) => {
      releaseStraggler = resolve;
    });
    let straggler: Promise<void> | undefined;
    const contextA = testContext('users');
    const contextB = testContext('users');
    const handler = ownLogContext(async (name: string, _context: Context) => {
      appendLogKeys(name === 'a' ? { requestId: 'a', jobId: 'job-a' } : { requestId: name });
      logger().info(`${name} first`);
      if (name === 'a') straggler = gate.then(() => logger().info('a late'));
      if (name === 'b') {
        releaseStraggler();
        await straggler;
        logger().info('b second');
      }
    });
    await handler('a', contextA);
    await handler('b', contextB);
    await handler('c', testContext('users'));

    expect(keysOf(line('a first'))).toEqual({ requestId: 'a', jobId: 'job-a' });
    expect(keysOf(line('a late'))).toEqual({ requestId: 'a', jobId: 'job-a' });
    expect(line('a late').function_request_id).toBe(contextA.awsRequestId);
    for (const message of ['b first', 'b second']) {
      expect(keysOf(line(message))).toEqual({ requestId: 'b' });
      expect(line(message).function_request_id).toBe(contextB.awsRequestId);
    }
    expect(keysOf(line('c first'))).toEqual({ requestId: 'c' });
  });

  it('refuses to append keys outside any context, where every invocation would get them', () => {
    expect(() => appendLogKeys({ requestId: 'everyone' })).toThrow(/log context/);
    logger().info('still clean');
    expect(keysOf(line('still clean'))).toEqual({});
  });

  it('redacts secrets by name and by value in child loggers, nested ones included', async () => {
    const secret = 'tok_child_logger_secret_1234';
    protectSecrets([secret]);
    await withLogKeys({ requestId: 'r-secret', apiKey: 'ia_appended_key_value_0001' }, async () => {
      logger().info('child', { authorization: 'Bearer abcdef', note: `value ${secret} inside` });
      await withLogKeys({ jobId: 'job_3' }, async () => {
        appendLogKeys({ webhookSecret: 'whsec_nested_value_0002' });
        logger().error('grandchild', new Error(`upstream echoed ${secret}`));
      });
    });
    const output = chunks.join('');
    expect(output).not.toContain(secret);
    expect(output).not.toContain('ia_appended_key_value_0001');
    expect(output).not.toContain('whsec_nested_value_0002');
    expect(output).not.toContain('abcdef');
    expect(line('child')).toMatchObject({
      requestId: 'r-secret',
      apiKey: '[redacted]',
      authorization: '[redacted]',
      note: 'value [redacted] inside',
    });
    expect(line('grandchild')).toMatchObject({
      requestId: 'r-secret',
      jobId: 'job_3',
      apiKey: '[redacted]',
      webhookSecret: '[redacted]',
      error: { message: 'upstream echoed [redacted]' },
    });
  });
});
