/** The webhook intake, the automation run log and firing a scheduled rule in the OpenAPI document. */

import { RUN_OUTCOMES } from '../automations/run-records.ts';
import type { JsonSchema } from '../catalog/index.ts';
import { json, ref } from './openapi-bulk.ts';

export const AUTOMATION_SCHEMAS: Record<string, JsonSchema> = {
  AutomationRun: {
    type: 'object',
    required: ['notificationId', 'topic', 'workspace', 'objectKey', 'receivedAt', 'finishedAt', 'rules'],
    properties: {
      notificationId: {
        type: 'string',
        description:
          "Intercom's notification id; `eventbridge:<event id>`, `schedule:<rule>:<time>` or `fire:<rule>:<uuid>`",
      },
      topic: { type: 'string', description: 'An Intercom topic, or `eventbridge` / `schedule`' },
      workspace: { type: 'string' },
      objectKey: {
        type: 'string',
        description:
          '`<item type>:<id>`: notifications of one object run in order (an event: `<orderBy>=<value>`, or `event:<id>` unordered)',
      },
      receivedAt: { type: 'integer', description: 'epoch ms' },
      finishedAt: { type: 'integer', description: 'epoch ms' },
      outcome: {
        enum: [...RUN_OUTCOMES],
        description:
          '`failed` if any action failed, else `outcome_unknown` if any may or may not have happened, else `succeeded` if a rule ran, `skipped` if the loop guard skipped every matching rule, `no_match` if none matched',
      },
      rules: {
        type: 'array',
        items: {
          type: 'object',
          required: ['rule', 'status', 'actions'],
          properties: {
            rule: { type: 'string' },
            status: { enum: ['ran', 'skipped'] },
            reason: { enum: ['own_write', 'run_cap'] },
            actions: {
              type: 'array',
              items: {
                type: 'object',
                required: ['operation', 'status'],
                properties: {
                  operation: { type: 'string' },
                  status: { enum: ['succeeded', 'failed', 'outcome_unknown'] },
                  error: { type: 'object' },
                  intercomRequestId: {
                    type: 'string',
                    description: "Intercom's id of the request that decided the outcome",
                  },
                  durationMs: { type: 'integer', description: "The Intercom call's duration" },
                },
              },
            },
          },
        },
      },
    },
  },
};

export function automationPaths(errorResponses: () => Record<string, unknown>): Record<string, unknown> {
  return {
    '/webhooks/intercom': {
      post: {
        operationId: 'intercom_webhook',
        tags: ['automations'],
        summary: "Intercom's webhook notifications (signed, no API key)",
        description:
          "Verified with `X-Hub-Signature: sha1=<HMAC-SHA1 of the raw body>` (or `X-Body-Signature` for uninstall and health checks) against the workspace's webhook secrets; 401 `invalid_signature` otherwise. Then read as UTF-8 (another declared charset is 415), queued and acknowledged; a redelivery is acknowledged with `duplicate: true`.",
        security: [],
        parameters: [
          {
            name: 'X-Hub-Signature',
            in: 'header',
            schema: { type: 'string', pattern: '^sha1=[0-9a-f]{40}$' },
          },
          { name: 'X-Body-Signature', in: 'header', schema: { type: 'string' } },
        ],
        requestBody: {
          required: true,
          ...json({ type: 'object', description: "Intercom's notification_event" }),
        },
        responses: {
          '200': {
            description: 'Received',
            ...json({
              type: 'object',
              properties: { received: { const: true }, duplicate: { type: 'boolean' } },
            }),
          },
          ...errorResponses(),
        },
      },
    },
    '/automations/runs': {
      get: {
        operationId: 'automation_runs',
        tags: ['automations'],
        summary: "The newest automation runs of the key's workspace (scope read)",
        description:
          'Filters are checked against each run as it is read: a page may be short, even empty, and still have a `next`.',
        parameters: [
          { name: 'rule', in: 'query', schema: { type: 'string' }, description: 'Runs this rule matched' },
          { name: 'outcome', in: 'query', schema: { enum: [...RUN_OUTCOMES] } },
          {
            name: 'from',
            in: 'query',
            schema: { type: 'string', format: 'date-time' },
            description: 'Runs finished at or after',
          },
          {
            name: 'to',
            in: 'query',
            schema: { type: 'string', format: 'date-time' },
            description: 'Runs finished at or before',
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          {
            name: 'next',
            in: 'query',
            description: "The previous page's `next`; any other value is 400 `validation_failed`",
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'Runs, newest first',
            ...json({
              type: 'object',
              required: ['runs', 'next'],
              properties: {
                runs: { type: 'array', items: ref('AutomationRun') },
                next: { type: ['string', 'null'] },
              },
            }),
          },
          ...errorResponses(),
        },
      },
    },
    '/automations/rules/{name}/fire': {
      post: {
        operationId: 'automation_rule_fire',
        tags: ['automations'],
        summary: 'Fire a scheduled rule now (scope write)',
        description:
          "Queues a firing of the scheduled rule, as its schedule would, with the current time as `time`; its run then shows in the run log under the returned `notificationId`. The rule must run in the key's workspace (404 `not_found` otherwise, as for an unknown rule) and be scheduled (409 `rule_not_fireable` for webhook and event rules). Each call is a firing of its own.",
        'x-scope': ['write'],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '202': {
            description: 'Queued',
            ...json({
              type: 'object',
              required: ['notificationId', 'rule', 'workspace', 'time'],
              properties: {
                notificationId: { type: 'string', description: '`fire:<rule>:<uuid>`' },
                rule: { type: 'string' },
                workspace: { type: 'string' },
                time: { type: 'string', format: 'date-time' },
              },
            }),
          },
          ...errorResponses(),
        },
      },
    },
    '/automations/runs/{notificationId}': {
      get: {
        operationId: 'automation_run',
        tags: ['automations'],
        summary: 'What the rules did with one notification (scope read)',
        parameters: [{ name: 'notificationId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'The run',
            ...json({ type: 'object', properties: { run: ref('AutomationRun') } }),
          },
          ...errorResponses(),
        },
      },
    },
  };
}
