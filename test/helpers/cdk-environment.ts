/**
 * jest's node environment, plus one CloudFormation validation engine per jest worker.
 *
 * aws-cdk-lib validates every synthesized template (its built-in CloudFormation validation, errors
 * failing the synth under cdk.json's `@aws-cdk/core:validateAgainstDefaultRules`) with a WebAssembly
 * engine it keeps as a process-wide singleton, because starting one is expensive. jest gives every
 * test file its own module registry, so each infra test file started its own engine: 4-5 s of CPU
 * and ~180 MB the worker never got back, per file. This module is loaded once per worker, outside
 * the registries, so the engine it holds serves every test file of that worker
 * (test/infra/synth-stack.ts hands it to the apps it synthesizes).
 */
import { createRequire } from 'node:module';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { CloudFormationValidatePlugin } from 'aws-cdk-lib';
import { TestEnvironment } from 'jest-environment-node';

const require = createRequire(import.meta.url);
let shared: CloudFormationValidatePlugin | undefined;

/** The global through which test files reach this worker's engine. */
export const SHARED_VALIDATION = 'sharedCloudFormationValidation';

export default class CdkEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    // Started on first use: only test files that synthesize pay for it, once per worker.
    this.global[SHARED_VALIDATION] = () => {
      shared ??= new (require('aws-cdk-lib') as typeof import('aws-cdk-lib')).CloudFormationValidatePlugin();
      return shared;
    };
  }
}
