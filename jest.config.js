// TypeScript ESM under jest: @swc/jest strips types and keeps `import`; jest runs the modules
// natively (node --experimental-vm-modules, see package.json "jest" script).
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
        module: { type: 'es6' },
      },
    ],
  },
  testTimeout: 30_000,
  // Two cores: one worker per core keeps the loopback servers of parallel suites from starving.
  maxWorkers: 2,
};
