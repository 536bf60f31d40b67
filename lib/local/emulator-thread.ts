/**
 * The emulators' own thread (started by `startEmulators({ thread: true })`): it runs their HTTP
 * servers and answers the parent's questions (`calls`, `close`) by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type EmulatorOptions, startEmulatorServers } from './emulators.ts';

const port = parentPort!;
try {
  const servers = await startEmulatorServers(workerData as Omit<EmulatorOptions, 'thread'>);
  port.on('message', async (message: { id: number; type: string }) => {
    if (message.type === 'calls') port.postMessage({ id: message.id, value: servers.calls() });
    if (message.type === 'close') {
      await servers.close();
      port.postMessage({ id: message.id });
    }
  });
  port.postMessage({
    type: 'started',
    sqsEndpoint: servers.sqsEndpoint,
    dynamodbEndpoint: servers.dynamodbEndpoint,
  });
} catch (error) {
  port.postMessage({ type: 'failed', error: (error as Error).message });
}
