// TypeScript ESM under jest: @swc/jest strips types and keeps `import`; jest runs the modules
// natively (node --experimental-vm-modules, see package.json "jest" script).
export default {
  // Node's environment, plus one CloudFormation validation engine per worker for the CDK synths.
  testEnvironment: '<rootDir>/test/helpers/cdk-environment.ts',
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
