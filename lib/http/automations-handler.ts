import { keyRing } from '../auth/api-keys.ts';
import type { NotificationStore } from '../automations/notification-store.ts';
import { type NotificationRun, runOutcome } from '../automations/run-records.ts';
import { requiredScopesToFire } from '../automations/triggers.ts';
import type { RuleSet } from '../automations/types.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { DomainError } from '../errors.ts';
import { logger, ownLogContext } from '../observability/logger.ts';
import { fireRule, type TriggerDeps } from '../triggers/intake.ts';
import { decodeCursorToken, encodeCursorToken } from '../validation/cursor-token.ts';
import { LIST_BUDGET_BYTES } from '../validation/response-size.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { httpPipeline } from './pipeline.ts';
import { jsonResponse } from './response.ts';
import { runFilterOf } from './run-filters.ts';

const MAX_PAGE = 200;

/** A run as the API shows it: with its outcome in one word (`runOutcome`). */
const withOutcome = (run: NotificationRun) => ({ ...run, outcome: runOutcome(run) });

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', 'Invalid parameters', { details: [{ path, message }] });
}

const RUNS_CURSOR = 'automation-runs';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A run's sort key: its finish time (ms, 15 digits) and notification id. */
const RUN_KEY = /^(\d{15})#.{1,200}$/s;

type RunsCursor = { day: string; sk?: string };

function encodeCursor(workspace: string, cursor: RunsCursor): string {
  return encodeCursorToken(RUNS_CURSOR, { ws: workspace, ...cursor });
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The position a cursor of this workspace's run log names. Anything else is refused: an empty or
 * garbled cursor, another endpoint's or workspace's, or one whose day is not a date, is in the
 * future, or is not the day of its run key (runs are kept by the day they finished).
 */
function decodeCursor(raw: string | undefined, workspace: string, now: number): RunsCursor | undefined {
  if (raw === undefined) return undefined;
  const c = decodeCursorToken(RUNS_CURSOR, raw, ['ws', 'day', 'sk']);
  const day = typeof c?.day === 'string' && DAY.test(c.day) ? c.day : undefined;
  const start = day === undefined ? Number.NaN : Date.parse(`${day}T00:00:00Z`);
  const sk = c?.sk;
  const finished = typeof sk === 'string' ? RUN_KEY.exec(sk)?.[1] : undefined;
  const valid =
    c?.ws === workspace &&
    day !== undefined &&
    Number.isFinite(start) &&
    dayOf(start) === day &&
    start <= now &&
    (sk === undefined || (finished !== undefined && dayOf(Number(finished)) === day));
  if (!valid) throw invalid('/next', 'is not a cursor of this run log');
  return typeof sk === 'string' ? { day: day!, sk } : { day: day! };
}

/** What `POST /automations/rules/{name}/fire` needs: the rules, and the trigger's way to the inbox. */
export interface FireDeps {
  rules: RuleSet;
  trigger: TriggerDeps;
  /** Where rules without a `workspace` run. */
  defaultWorkspace: string;
}

export function createAutomationsHandler(
  apiKeys: Configured<readonly ApiKeyRecord[]>,
  store: NotificationStore,
  now = Date.now,
  fire?: FireDeps,
) {
  const source = sourceOf(apiKeys);
  const ring = source.derive(keyRing);
  return ownLogContext(
    httpPipeline(source)
      .use(apiKeyAuth(ring))
      .use(errorResponse())
      .handler(async (event, context) => {
        const key = context.apiKey!;
        const requestId = context.requestId;
        if (event.routeKey === 'POST /automations/rules/{name}/fire') {
          const name = event.pathParameters?.name ?? '';
          const rule = fire?.rules.rules.find((r) => r.name === name);
          // A rule of another workspace is as unknown as a rule that does not exist.
          if (
            !rule ||
            (rule.trigger !== undefined && (rule.workspace ?? fire!.defaultWorkspace) !== key.workspace)
          )
            throw new HttpError(
              404,
              'not_found',
              `No automation rule "${name.slice(0, 64)}" in this workspace`,
            );
          const missing = requiredScopesToFire(rule).filter((scope) => !key.scopes.includes(scope));
          if (missing.length > 0)
            throw new HttpError(
              403,
              'forbidden',
              `This API key lacks the ${missing.map((s) => `"${s}"`).join(' and ')} scope that firing this rule needs`,
            );
          if (rule.trigger?.kind !== 'schedule') {
            throw new DomainError(
              'rule_not_fireable',
              `Rule "${name}" is not scheduled: it runs when ${rule.trigger ? 'a matching EventBridge event' : 'an Intercom notification of its topics'} arrives`,
            );
          }
          const fired = await fireRule(fire!.trigger, name, now());
          logger().info('rule fired', { rule: name, notificationId: fired.notificationId });
          return jsonResponse(202, {
            notificationId: fired.notificationId,
            rule: name,
            workspace: key.workspace,
            time: fired.time,
            requestId,
          });
        }
        if (!key.scopes.includes('read'))
          throw new HttpError(403, 'forbidden', 'This API key lacks the "read" scope that the run log needs');
        if (event.routeKey === 'GET /automations/runs/{notificationId}') {
          const id = event.pathParameters?.notificationId ?? '';
          const run = id.length > 0 && id.length <= 200 ? await store.getRun(key.workspace, id) : undefined;
          if (!run || run.workspace !== key.workspace)
            throw new HttpError(404, 'not_found', 'No automation run for this notification');
          return jsonResponse(200, { run: withOutcome(run), requestId });
        }
        const rawLimit = event.queryStringParameters?.limit;
        // Digits only: Number() would also take "", " 5", "1e2" and "0x10".
        const limit =
          rawLimit === undefined ? 50 : /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE)
          throw invalid('/limit', `must be an integer from 1 to ${MAX_PAGE}`);
        const at = now();
        const cursor = decodeCursor(event.queryStringParameters?.next, key.workspace, at);
        const filter = runFilterOf(event);
        const page = await store.listRuns(key.workspace, limit, cursor, at, LIST_BUDGET_BYTES, filter);
        return jsonResponse(200, {
          runs: page.runs.map(withOutcome),
          next: page.next ? encodeCursor(key.workspace, page.next) : null,
          requestId,
        });
      }),
  );
}
