/**
 * The differences from recorded Intercom answers that the sandbox keeps on purpose, each with its
 * reason. A fidelity test names the ones it meets; one that no longer occurs fails the test.
 */
import type { ShapeException } from './shape.ts';

export const NO_AVATAR: ShapeException = {
  path: 'avatar.image_url',
  kind: 'null',
  reason:
    "the sandbox keeps no avatar images; Intercom's own answers have null for people without one (intercom.io/post-contacts.json)",
};

export const NOT_PLACED: ShapeException = {
  path: 'location_data',
  kind: 'null',
  reason:
    'Intercom geolocated last_seen_ip; the sandbox does not, so people made through the API have every location field null, as Intercom had for leads it had not placed (intercom.io/get-contacts-page-2.json)',
};

export const NO_SOCIAL_PROFILES: ShapeException = {
  path: 'social_profiles.social_profiles[]',
  kind: 'empty',
  reason: 'Intercom found social profiles by its own enrichment; the sandbox does not model them',
};

/** ruby's and python's `test_user` / `get_user` were written by hand, not recorded. */
export const HAND_WRITTEN_COORDINATES: ShapeException[] = ['latitude', 'longitude'].map((field) => ({
  path: `location_data.${field}`,
  kind: 'type',
  reason:
    "ruby's hand-written fixture has coordinates as strings ('90'); Intercom's recorded answers have numbers (intercom.io/post-users.json, intercom-java/user.json)",
}));

export const COMPANY_REFERENCES: ShapeException = {
  path: 'companies.companies[type=company]',
  kind: 'missing',
  reason:
    "the sandbox lists a user's companies as references {type, company_id, id, name}; ruby's and python's hand-written fixtures embed whole company objects, and no recorded answer at hand has a non-empty list",
};

/** Admins and team entries, as `GET /admins`, `GET /admins/{id}` and `GET /me` answer them. */
export const NO_STAFF_AVATAR: ShapeException = {
  ...NO_AVATAR,
  reason:
    "the sandbox keeps no avatar images, so an admin's or team's avatar has a null image_url; intercom-java's admin fixtures have URLs, and 1.x's reference examples show no avatar at all",
};

export const NULL_TEAM_EMAIL: ShapeException = {
  path: 'email',
  kind: 'null',
  reason:
    "1.x's list-admins reference (R1.0, R1.1) shows a team entry's email null, which the sandbox follows; intercom-java's admins.json and admin_team.json have team-email@teams.intercom.io addresses",
};

/** The same exceptions below `prefix`: a list's elements (`users[type=user]`) or an enclosing object. */
export function under(prefix: string, exceptions: ShapeException[]): ShapeException[] {
  return exceptions.map((e) => ({ ...e, path: `${prefix}.${e.path}` }));
}
