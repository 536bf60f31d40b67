/** Every Intercom 1.x route the sandbox serves. */
import type { Route } from '../context.ts';
import { adminRoutes } from './admins.ts';
import { companyRoutes } from './companies.ts';
import { conversationRoutes } from './conversations.ts';
import { countRoutes } from './counts.ts';
import { dataAttributeRoutes } from './data-attributes.ts';
import { eventRoutes } from './events.ts';
import { leadRoutes } from './leads.ts';
import { messageRoutes } from './messages.ts';
import { noteRoutes } from './notes.ts';
import { segmentRoutes } from './segments.ts';
import { tagRoutes } from './tags.ts';
import { userRoutes } from './users.ts';
import { visitorRoutes } from './visitors.ts';

export const apiRoutes: Route[] = [
  ...userRoutes,
  ...leadRoutes,
  ...visitorRoutes,
  ...companyRoutes,
  ...tagRoutes,
  ...noteRoutes,
  ...eventRoutes,
  ...messageRoutes,
  ...conversationRoutes,
  ...adminRoutes,
  ...segmentRoutes,
  ...countRoutes,
  ...dataAttributeRoutes,
];
