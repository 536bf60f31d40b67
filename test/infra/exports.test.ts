/** Export jobs on AWS: the bucket's protections and lifecycle, the queue and worker, least-privilege grants, alarms, cdk-nag. */
import { describe, expect, it } from '@jest/globals';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXPORT_FILE_DAYS } from '../../infra/constructs/exports.ts';
import { synth } from './synth-stack.ts';

const { app, stack, template, resources, logicalId, statementsOf } = synth();
const { exports } = stack;
const bucketId = logicalId(exports.bucket);

function actionsOf(fnLogicalId: string): string[] {
  return statementsOf(fnLogicalId).flatMap((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe('export jobs on AWS', () => {
  it('keeps files in an encrypted, private bucket that refuses plain HTTP and expires them', () => {
    const bucket = resources[bucketId]!;
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({
        Prefix: 'exports/',
        ExpirationInDays: EXPORT_FILE_DAYS,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      }),
    ]);
    const policy = Object.values(resources).find(
      (r: any) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === bucketId,
    ) as any;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('feeds the worker one export per invocation and gives both functions their coordinates', () => {
    const worker = logicalId(exports.worker.service.fn);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    for (const fn of [worker, logicalId(stack.functions.exports.fn)]) {
      const env = resources[fn]!.Properties.Environment.Variables;
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['EXPORTS_BUCKET', 'EXPORTS_QUEUE_URL', 'BULK_JOBS_TABLE', 'RATE_TABLE']),
      );
    }
    // The worker runs 5 minutes (as npm start does) with V8's heap bounded: flat memory, measured.
    const props = resources[worker]!.Properties;
    expect(props.Timeout).toBe(300);
    expect(props.Environment.Variables.NODE_OPTIONS).toBe(
      '--enable-source-maps --max-semi-space-size=4 --max-old-space-size=128',
    );
    expect(
      resources[logicalId(stack.functions.exports.fn)]!.Properties.Environment.Variables.NODE_OPTIONS,
    ).toBe('--enable-source-maps');
  });

  it('grants the worker and the API only what their code uses', () => {
    const worker = actionsOf(logicalId(exports.worker.service.fn));
    expect(worker).toEqual(
      expect.arrayContaining(['s3:PutObject', 'sqs:SendMessage', 'dynamodb:UpdateItem']),
    );
    expect(worker).not.toContain('s3:DeleteObject*');
    expect(worker).not.toContain('dynamodb:DeleteItem');
    const api = actionsOf(logicalId(stack.functions.exports.fn));
    expect(api).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'sqs:SendMessage']));
    expect(api.some((a) => a.startsWith('s3:Put'))).toBe(false);
  });

  it('alarms on dead-lettered continuations and worker errors', () => {
    const alarms = Object.values(resources).filter((r: any) => r.Type === 'AWS::CloudWatch::Alarm') as any[];
    expect(
      alarms.some((a) =>
        String(a.Properties.AlarmDescription).startsWith('Exports: continuations in the dead-letter'),
      ),
    ).toBe(true);
    expect(
      alarms.some((a) =>
        String(a.Properties.AlarmDescription).startsWith('Export worker: invocation errors'),
      ),
    ).toBe(true);
  });

  it('is clean under cdk-nag AwsSolutions', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
  });
});
