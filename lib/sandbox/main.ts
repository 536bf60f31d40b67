/**
 * `npm run sandbox`: the Intercom 1.x sandbox alone on SANDBOX_PORT (default 4010). SANDBOX_TOKEN, when
 * set, is the only token accepted; INTERCOM_VERSION (1.0-1.4) is the app's default version.
 */
import { startSandbox } from './server.ts';
import { type IntercomVersion, VERSIONS } from './types.ts';

const token = process.env.SANDBOX_TOKEN || undefined;
const version = process.env.INTERCOM_VERSION;
if (version && !(VERSIONS as readonly string[]).includes(version)) {
  console.error(`INTERCOM_VERSION must be one of ${VERSIONS.join(', ')}`);
  process.exit(1);
}

const sandbox = await startSandbox({
  port: Number(process.env.SANDBOX_PORT ?? 4010),
  ...(token ? { token } : {}),
  ...(version ? { defaultVersion: version as IntercomVersion } : {}),
});

console.log(`Intercom 1.x sandbox listening on ${sandbox.url}`);
console.log(
  token
    ? 'Accepting only the token in SANDBOX_TOKEN.'
    : 'Accepting any non-empty token (set SANDBOX_TOKEN to pin one).',
);
console.log('Try:');
console.log(
  `  curl -s -H 'Authorization: Bearer ${token ?? 'any-token'}' -H 'Intercom-Version: 1.4' -H 'Accept: application/json' ${sandbox.url}/me`,
);
console.log(`Control API: ${sandbox.url}/__sandbox/health | reset | config | stats | requests | webhooks`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the sandbox`);
  await sandbox.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
