/**
 * Above INFO, `logInfoLine` prints nothing, as Powertools would not (the level is read once per
 * process, so this runs in a file of its own).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CapturedOutput } from '../helpers/captured-output.ts';

const output = new CapturedOutput();
const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  output.start();
});
afterAll(() => {
  output.stop();
  if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
});

it('prints no INFO line when the level is WARN, and still the WARN ones', async () => {
  const { logger, logInfoLine, withLogKeys } = await import('../../lib/observability/logger.ts');
  await withLogKeys({ requestId: 'req-quiet' }, async () => {
    logInfoLine('request', { status: 200 });
    logger().warn('still printed');
  });
  const lines = output.chunks.join('').split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({
    level: 'WARN',
    message: 'still printed',
    requestId: 'req-quiet',
  });
});
