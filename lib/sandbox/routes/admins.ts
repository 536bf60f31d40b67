/** Admins and teams: me (with the app), list (admins and teams), get, away mode, activity logs. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, missing, notFound, SandboxHttpError, typeMismatch } from '../errors.ts';
import { objectBody } from '../input.ts';
import type { ActivityLog, Admin } from '../model.ts';
import { type PageLimits, paginate } from '../pagination.ts';
import type { Workspace } from '../store.ts';
import { renderAdminById, renderTeam, renderTeamEntry } from '../views.ts';

export function recordActivity(
  ws: Workspace,
  admin: Admin,
  activity: { type: string; description: string; metadata?: Record<string, unknown>; at?: number },
): void {
  ws.activityLogs.push({
    id: ws.ids.numeric('log'),
    adminId: admin.id,
    created_at: activity.at ?? ws.nowSeconds(),
    activity_type: activity.type,
    activity_description: activity.description,
    metadata: activity.metadata ?? {},
  });
}

function renderLog(ws: Workspace, log: ActivityLog) {
  const admin = ws.admins.get(log.adminId);
  return {
    id: log.id,
    performed_by: { type: 'admin', id: log.adminId, email: admin?.email ?? null, ip: '127.0.0.1' },
    metadata: { ...log.metadata },
    created_at: log.created_at,
    activity_type: log.activity_type,
    activity_description: log.activity_description,
  };
}

function timestampQuery(ctx: ApiContext, key: string): number | undefined {
  const raw = ctx.query[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw invalid(key, `${key} must be a unix timestamp`);
  return Number(raw);
}

/** R1.2/R1.4 view-admin-activity-logs: pages of 20. The largest `per_page` is not documented. */
const ACTIVITY_LOG_PAGES: PageLimits = { defaultPerPage: 20, maxPerPage: 60 };

/**
 * R1.2/R1.4 view-admin-activity-logs: without `created_at_after` the answer is a 404
 * `parameter_not_found` "Please provide the following parameters: created_at_after" (no `field`), and
 * the list has `type`, `pages` and `activity_logs`, no `total_count`.
 */
function activityLogs(ctx: ApiContext) {
  const { ws } = ctx;
  const after = timestampQuery(ctx, 'created_at_after');
  if (after === undefined)
    throw new SandboxHttpError(
      404,
      'parameter_not_found',
      'Please provide the following parameters: created_at_after',
    );
  const before = timestampQuery(ctx, 'created_at_before');
  const logs = ws.activityLogs
    .filter((l) => l.created_at >= after && (before === undefined || l.created_at <= before))
    .sort((a, b) => b.created_at - a.created_at || Number(b.id) - Number(a.id));
  const { items, pages } = paginate(ctx, logs, ACTIVITY_LOG_PAGES);
  return ok({ type: 'activity_log.list', pages, activity_logs: items.map((l) => renderLog(ws, l)) });
}

/**
 * `PUT /admins/{id}/away`. Intercom needs both flags (intercom-client 6.x `ConfigureAwayAdminRequest`
 * declares `away_mode_enabled` and `away_mode_reassign` required; every R1.x example sends both), so
 * either missing is a 400 `parameter_not_found` here, though the connector marks them optional.
 */
function setAway(ctx: ApiContext) {
  const { ws } = ctx;
  const admin = ws.requireAdmin(ctx.params.id);
  const body = objectBody(ctx.body);
  for (const key of ['away_mode_enabled', 'away_mode_reassign']) {
    if (body[key] === undefined) throw missing(key);
    if (typeof body[key] !== 'boolean') throw typeMismatch(key, 'a boolean');
  }
  if (!admin.has_inbox_seat)
    throw new SandboxHttpError(403, 'action_forbidden', 'This admin does not have Inbox access permissions');
  const changed =
    admin.away_mode_enabled !== body.away_mode_enabled ||
    admin.away_mode_reassign !== body.away_mode_reassign;
  admin.away_mode_enabled = body.away_mode_enabled as boolean;
  admin.away_mode_reassign = body.away_mode_reassign as boolean;
  if (changed)
    recordActivity(ws, admin, {
      type: 'admin_away_mode_change',
      description: `${admin.name} changed their away mode`,
      metadata: { away_mode: admin.away_mode_enabled, reassign_conversations: admin.away_mode_reassign },
    });
  return ok(renderAdminById(ws, admin));
}

/** The token's admin with its app; `email_verified` as intercom-client 6.x's `AdminWithApp` has it. */
function me(ctx: ApiContext) {
  const { ws } = ctx;
  const app = ws.app;
  return ok({ ...renderAdminById(ws, ws.owner()), email_verified: true, app: { type: 'app', ...app } });
}

export const adminRoutes: Route[] = [
  { method: 'GET', template: '/me', handler: me },
  {
    method: 'GET',
    template: '/admins',
    handler: ({ ws }) =>
      ok({
        type: 'admin.list',
        admins: [
          ...[...ws.admins.values()].map((a) => renderAdminById(ws, a)),
          ...[...ws.teams.values()].map(renderTeamEntry),
        ],
      }),
  },
  {
    method: 'GET',
    template: '/admins/{id}',
    handler: (ctx) => ok(renderAdminById(ctx.ws, ctx.ws.requireAdmin(ctx.params.id))),
  },
  { method: 'PUT', template: '/admins/{id}/away', handler: setAway },
  { method: 'GET', template: '/admins/activity_logs', handler: activityLogs },
  {
    method: 'GET',
    template: '/teams',
    handler: ({ ws }) => ok({ type: 'team.list', teams: [...ws.teams.values()].map(renderTeam) }),
  },
  {
    method: 'GET',
    template: '/teams/{id}',
    handler: (ctx) => {
      const team = ctx.ws.teams.get(ctx.params.id!);
      if (!team) throw notFound('Team Not Found', 'team_not_found');
      return ok(renderTeam(team));
    },
  },
];
