/**
 * `npm run sandbox`: the Intercom 1.x sandbox alone on SANDBOX_PORT (default 4010). SANDBOX_TOKEN, when
 * set, is the only token accepted; INTERCOM_VERSION (1.0-1.4) is the app's default version;
 * SANDBOX_LATENCY_MS and SANDBOX_JITTER_MS hold every answer for that long, as Intercom's answers take
 * over the internet.
 */
import { type LatencyConfigInput, latencyFromEnv, SandboxConfigError, startSandbox } from './server.ts';
import { type IntercomVersion, VERSIONS } from './types.ts';

const token = process.env.SANDBOX_TOKEN || undefined;
const version = process.env.INTERCOM_VERSION;
if (version && !(VERSIONS as readonly string[]).includes(version)) {
  console.error(`INTERCOM_VERSION must be one of ${VERSIONS.join(', ')}`);
  process.exit(1);
}
let latency: LatencyConfigInput | undefined;
try {
  latency = latencyFromEnv();
} catch (error) {
  if (!(error instanceof SandboxConfigError)) throw error;
  console.error(error.problems.join('\n'));
  process.exit(1);
}

const sandbox = await startSandbox({
  port: Number(process.env.SANDBOX_PORT ?? 4010),
  ...(token ? { token } : {}),
  ...(version ? { defaultVersion: version as IntercomVersion } : {}),
  ...(latency ? { latency } : {}),
});

console.log(`Intercom 1.x sandbox listening on ${sandbox.url}`);
console.log(
  token
    ? 'Accepting only the token in SANDBOX_TOKEN.'
    : 'Accepting any non-empty token (set SANDBOX_TOKEN to pin one).',
);
console.log(
  latency
    ? `Answers leave after ${latency.baseMs} ms ± ${latency.jitterMs ?? 0} ms (SANDBOX_LATENCY_MS, SANDBOX_JITTER_MS).`
    : 'Answers leave at once (set SANDBOX_LATENCY_MS, SANDBOX_JITTER_MS to add latency).',
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
