/**
 * One cold start, in a fresh process: import a bundled handler (module init), then invoke it once
 * against the loopback Intercom. Reports through IPC so the handler's own stdout does not matter.
 */
const [bundle, eventJson] = process.argv.slice(2) as [string, string];
const cpuAtStart = process.cpuUsage();
const beforeImport = performance.now();
const module = (await import(bundle)) as {
  handler: (event: unknown, context: unknown) => Promise<{ statusCode: number }>;
};
const afterImport = performance.now();
const result = await module.handler(JSON.parse(eventJson), { functionName: 'bench', awsRequestId: 'bench' });
const afterCall = performance.now();
// CPU time (all threads) of import and call: what the process did, whatever else the machine runs.
const cpu = process.cpuUsage(cpuAtStart);
process.send?.({
  initMs: afterImport - beforeImport,
  firstRequestMs: afterCall - afterImport,
  cpuMs: (cpu.user + cpu.system) / 1000,
  status: result.statusCode,
});
process.disconnect?.();
