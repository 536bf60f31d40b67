/** Notes on users (and leads, by id): create, get, list for a user. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { missing, notFound } from '../errors.ts';
import { identifiers, objectBody, optId, optObject, reqString } from '../input.ts';
import type { Customer, Note } from '../model.ts';
import { pagedList } from '../pagination.ts';
import type { Workspace } from '../store.ts';
import { renderNote } from '../views.ts';

function requireUserRef(ws: Workspace, ref: { id?: string; user_id?: string; email?: string }): Customer {
  if (!ref.id && !ref.user_id && !ref.email) throw missing('user', 'user needs an id, user_id or email');
  const user = ws.findUserRef(ref, true);
  if (!user) throw notFound('User Not Found');
  return user;
}

function createNote(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const text = reqString(body, 'body');
  const userBody = optObject(body, 'user');
  if (!userBody) throw missing('user');
  const user = requireUserRef(ws, identifiers(userBody));
  const adminId = optId(body, 'admin_id');
  const author = adminId ? ws.requireAdmin(adminId) : ws.owner();
  const note: Note = {
    id: ws.ids.numeric('note'),
    created_at: ws.nowSeconds(),
    body: text.startsWith('<') ? text : `<p>${text}</p>`,
    authorId: author.id,
    customerId: user.id,
  };
  ws.notes.set(note.id, note);
  return ok(renderNote(ws, note));
}

function listNotes(ctx: ApiContext) {
  const { ws, query } = ctx;
  const id = query.id ?? query.intercom_user_id;
  const ref = { id, user_id: query.user_id, email: query.email };
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing(
      'user_id',
      'a notes query must include an email, user_id, id or intercom_user_id parameter',
    );
  const user = requireUserRef(ws, ref);
  const notes = [...ws.notes.values()]
    .filter((n) => n.customerId === user.id)
    .sort((a, b) => b.created_at - a.created_at || Number(b.id) - Number(a.id));
  return ok(pagedList(ctx, 'note.list', 'notes', notes, (n: Note) => renderNote(ws, n)));
}

export const noteRoutes: Route[] = [
  { method: 'POST', template: '/notes', handler: createNote },
  {
    method: 'GET',
    template: '/notes/{id}',
    handler: (ctx) => {
      const note = ctx.ws.notes.get(ctx.params.id!);
      if (!note) throw notFound('Note Not Found');
      return ok(renderNote(ctx.ws, note));
    },
  },
  { method: 'GET', template: '/notes', handler: listNotes },
];
