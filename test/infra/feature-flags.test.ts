import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { CDK_JSON_CONTEXT, type Resource, synth } from './synth-stack.ts';

/** What aws-cdk-lib recommends for new projects (what `cdk init` writes into `cdk.json`). */
const RECOMMENDED: Record<string, unknown> = JSON.parse(
  readFileSync(
    new URL('../../node_modules/aws-cdk-lib/recommended-feature-flags.json', import.meta.url),
    'utf8',
  ),
);

/** `cdk.json`'s context before the recommended flags were set: what deployed stacks were made with. */
const BEFORE_FLAGS = {
  stage: 'dev',
  apiVersion: '1.4',
  logLevel: 'INFO',
  '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': false,
  '@aws-cdk/core:checkSecretUsage': true,
};

/** What holds data: replacing one of these would lose it (or, for a queue, its messages). */
const STATEFUL = [
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
] as const;

/** A resource as CloudFormation compares it for an update: its properties and its policies. */
const updateShape = ({ Type, Properties, DeletionPolicy, UpdateReplacePolicy }: Resource) => ({
  Type,
  Properties,
  DeletionPolicy,
  UpdateReplacePolicy,
});

describe('CDK feature flags', () => {
  it('cdk.json sets every flag aws-cdk-lib recommends, at its recommended value (cdk synth warns of none)', () => {
    const unset = Object.keys(RECOMMENDED).filter((flag) => !(flag in CDK_JSON_CONTEXT));
    expect(unset).toEqual([]);
    for (const [flag, value] of Object.entries(RECOMMENDED))
      expect([flag, CDK_JSON_CONTEXT[flag]]).toEqual([flag, value]);
  });

  // Synthesized with the context deployed stacks were made with and with today's cdk.json, on a stage
  // that deletes its tables with the stack and on `prod`, which retains them: every resource keeps its
  // logical id, and every table, queue, bucket and secret is the same resource, property for property.
  it.each([
    ['dev', {}],
    ['prod', { stage: 'prod', alarmEmail: 'ops@example.com', allowedOrigins: 'https://app.example.com' }],
  ])('replaces no stateful resource of an existing %s stack; only IAM policies change', (_stage, context) => {
    const before = synth(context, BEFORE_FLAGS).resources;
    const after = synth(context).resources;
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const stateful = Object.entries(before).filter(([, r]) =>
      (STATEFUL as readonly string[]).includes(r.Type),
    );
    // The secrets, the queues and their dead-letter queues, the three tables, the exports bucket.
    expect(new Set(stateful.map(([, r]) => r.Type))).toEqual(
      new Set(['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret', 'AWS::S3::Bucket']),
    );
    for (const [id, resource] of stateful)
      expect([id, updateShape(after[id]!)]).toEqual([id, updateShape(resource)]);
    // What the flags do change: `@aws-cdk/aws-iam:minimizePolicies` merges a role's statements.
    const changed = Object.keys(before).filter(
      (id) => JSON.stringify(before[id]) !== JSON.stringify(after[id]),
    );
    expect(new Set(changed.map((id) => before[id]!.Type))).toEqual(new Set(['AWS::IAM::Policy']));
  });
});
