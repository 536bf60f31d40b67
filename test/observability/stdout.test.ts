/** Our own log and metrics lines never end the process on a failed write (stdout closed). */
import { Writable } from 'node:stream';
import { expect, it } from '@jest/globals';
import { writeLine } from '../../lib/observability/stdout.ts';

it('drops a write error instead of throwing it as an unhandled error event', async () => {
  const closed = new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const written: string[] = [];
  const open = new Writable({
    write(chunk, _encoding, callback) {
      written.push(String(chunk));
      callback();
    },
  });
  expect(() => writeLine('{"a":1}\n', closed)).not.toThrow();
  await new Promise(setImmediate);
  expect(closed.listenerCount('error')).toBe(0);
  writeLine('{"b":2}\n', open);
  expect(written).toEqual(['{"b":2}\n']);
});
