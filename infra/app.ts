/** The CDK app (`npx cdk synth|deploy -c stage=prod`). */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentSettings } from './config.ts';
import { IntercomActionsStack } from './stack.ts';

const app = new App();
const settings = deploymentSettings(app.node);
const env = process.env.CDK_DEFAULT_ACCOUNT
  ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
  : undefined;
new IntercomActionsStack(app, `IntercomActions-${settings.stage}`, settings, env ? { env } : {});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
