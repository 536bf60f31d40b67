/**
 * The emulators (DynamoDB and SQS: lib/local/emulators.ts; S3: s3rver with the exports bucket) in a
 * process of their own, forked by `forkEmulators` (bench/local-stack.ts). On AWS these are remote
 * services: a benchmark that runs them here can count the stack's memory and CPU apart from theirs.
 * It answers `usage` with its own memory, CPU and the calls it served, and `close` by exiting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { startEmulatorServers } from '../lib/local/emulators.ts';
import { LOCAL_EXPORTS } from '../lib/local/exports.ts';

const servers = await startEmulatorServers();
const directory = await mkdtemp(join(tmpdir(), 'intercom-actions-bench-s3-'));
const s3 = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: LOCAL_EXPORTS.bucket }],
});
const { port } = await s3.run();

process.on('message', async (message: { type: string }) => {
  if (message.type === 'usage')
    process.send!({
      type: 'usage',
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      calls: servers.calls(),
    });
  if (message.type === 'close') {
    await Promise.all([servers.close(), s3.close()]);
    await rm(directory, { recursive: true, force: true });
    process.exit(0);
  }
});
process.send!({
  type: 'started',
  sqsEndpoint: servers.sqsEndpoint,
  dynamodbEndpoint: servers.dynamodbEndpoint,
  s3Endpoint: `http://127.0.0.1:${port}`,
});
