import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Scope } from '../oversight/oversight.js';

/**
 * Who may use the oversight routes (/api/admin/...), from the verified caller alone: ADMIN_API_KEY and admin tokens
 * see everything; teachers' tokens see their courses, on the routes open to teachers; learners' tokens and the
 * service key (a backend acting for learners, which must not gain export and erasure) are refused with 403. Without
 * any authentication configured (development) every caller is an admin, except in production (ALLOW_UNAUTHENTICATED),
 * where these routes stay closed.
 */
export function oversightScope(request: FastifyRequest, route: { teachers: boolean; openIsAdmin: boolean }): Scope {
  const { principal } = request;
  if (principal.kind === 'admin' || (principal.kind === 'user' && principal.role === 'admin')) return { all: true };
  if (principal.kind === 'open' && route.openIsAdmin) return { all: true };
  if (principal.kind === 'user' && principal.role === 'teacher' && route.teachers) return { all: false, courseIds: principal.courseIds };
  const who = principal.kind === 'user' ? `A ${principal.role}'s token` : principal.kind === 'service' ? 'The service key' : 'This caller';
  throw new AppError('forbidden', `${who} may not use this route${route.teachers ? '' : ': it is for admins'}.`);
}
