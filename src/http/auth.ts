import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, JwtConfig } from '../config.js';
import { AppError } from '../errors.js';
import { isPublicRoute } from './public-routes.js';

/** A token's role: its learning routes are always its own; the oversight routes depend on it. */
export type Role = 'learner' | 'teacher' | 'admin';

/**
 * Who is calling. `service`: a trusted server holding SERVICE_API_KEY, acting for any learner. `admin`: a caller
 * holding ADMIN_API_KEY. `user`: someone identified by a token, limited to their own sessions, with a role (and,
 * for a teacher, the courses they teach). `open`: a public route, or no authentication is configured.
 */
export type Principal =
  | { kind: 'service' }
  | { kind: 'admin' }
  | { kind: 'user'; userId: number; role: Role; courseIds: number[] }
  | { kind: 'open' };

const roles: readonly Role[] = ['learner', 'teacher', 'admin'];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** Set when the credentials were refused: the request is answered 401 once rate limiting has counted it. */
    authFailure: AppError | null;
  }
}

const unauthorized = () => new AppError('unauthorized', 'Missing or invalid credentials.');

/**
 * Authenticates every request to a route that is not declared public (src/http/public-routes.ts). The decision
 * keys off the route the router matched, never off the URL's spelling: `/%61pi/...` or an absolute-form target
 * reach the same route, with the same protection. The caller is identified first (so that rate limits can count
 * refused callers too), and refused with 401 before the body is read.
 */
export function registerAuth(app: FastifyInstance, config: AuthConfig): void {
  const verify = tokenVerifier(config.jwt);
  const serviceDigests = config.serviceApiKeys.map(digest);
  const adminDigests = config.adminApiKeys.map(digest);
  app.decorateRequest('principal', null as never);
  app.decorateRequest('authFailure', null);
  app.addHook('preParsing', async (request) => {
    if (request.authFailure) throw request.authFailure;
  });
  app.addHook('onRequest', async (request) => {
    request.principal = { kind: 'open' };
    request.authFailure = null;
    try {
      request.principal = await identify(request);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'dependency_unavailable') request.log.warn('the JWKS that verifies tokens cannot be fetched (AUTH_JWKS_URL)');
      request.authFailure = error;
    }
  });

  async function identify(request: FastifyRequest): Promise<Principal> {
    const open: Principal = { kind: 'open' };
    // An unknown route runs no handler: it is answered 404 whoever asks (and counted by the per-address rate limit).
    if (isPublicRoute(request) || request.is404) return open;
    if (serviceDigests.length === 0 && adminDigests.length === 0 && !verify) return open;

    const token = bearerToken(request);
    if (token !== undefined) {
      // A token that does not verify is refused even alongside a valid key: the caller meant the token.
      if (!verify) throw unauthorized();
      return { kind: 'user', ...(await verify(token)) };
    }
    const key = request.headers['x-api-key'];
    if (typeof key === 'string') {
      const presented = digest(key);
      // Both lists are compared in full, so that the time taken does not tell which kind of key matched.
      const admin = matchesAny(presented, adminDigests);
      const service = matchesAny(presented, serviceDigests);
      if (admin) return { kind: 'admin' };
      if (service) return { kind: 'service' };
    }
    throw unauthorized();
  }
}

/** The user a request's learning routes are limited to (a token's), or undefined when it may act for any user. */
export function ownerOf(request: FastifyRequest): number | undefined {
  return request.principal.kind === 'user' ? request.principal.userId : undefined;
}

/** Compares against every key, so that the time taken does not tell which one matched. */
function matchesAny(presented: Buffer, expected: Buffer[]): boolean {
  let matched = false;
  for (const candidate of expected) matched = timingSafeEqual(presented, candidate) || matched;
  return matched;
}

interface TokenIdentity {
  userId: number;
  role: Role;
  courseIds: number[];
}

function tokenVerifier(jwt: JwtConfig | undefined): ((token: string) => Promise<TokenIdentity>) | undefined {
  if (!jwt) return undefined;
  const key: Uint8Array | JWTVerifyGetKey =
    jwt.kind === 'secret' ? new TextEncoder().encode(jwt.secret) : createRemoteJWKSet(new URL(jwt.url));
  const algorithms = jwt.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256'];
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockToleranceSeconds,
        requiredClaims: jwt.requireExp ? ['exp'] : [],
      }));
    } catch (error) {
      // A JWKS that cannot be fetched says nothing about the token: the learner is not signed out, but asked to retry.
      if (keysUnavailable(error)) {
        throw new AppError('dependency_unavailable', 'Tokens cannot be verified right now; please try again shortly.', { retryAfterSeconds: 5 });
      }
      throw unauthorized();
    }
    // jose checks `iat` only against a maximum age; a token issued in the future is as suspect as one not yet valid.
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + jwt.clockToleranceSeconds) throw unauthorized();
    const userId = userIdOf(payload[jwt.userIdClaim]);
    const role = roleOf(payload[jwt.roleClaim]);
    const courseIds = role === 'teacher' ? courseIdsOf(payload[jwt.coursesClaim]) : [];
    if (userId === undefined || role === undefined || courseIds === undefined) throw unauthorized();
    return { userId, role, courseIds };
  };
}

/** The JWKS could not be fetched: it timed out, the request failed, or it answered something that is not a JWKS. */
function keysUnavailable(error: unknown): boolean {
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  if (error instanceof joseErrors.JOSEError && error.message.startsWith('Expected 200 OK from the JSON Web Key Set')) return true;
  return error instanceof TypeError && /fetch/i.test(error.message);
}

const maxUserId = 2147483647;

/**
 * The learner's id from its claim: an integer 1..2^31-1, as a JSON number or as a string of decimal digits with no
 * sign, space or leading zero. Nothing is coerced: `"0x5"`, `"5e0"`, `[5]` or `true` name no user.
 */
export function userIdOf(claim: unknown): number | undefined {
  const id = typeof claim === 'number' ? claim : typeof claim === 'string' && /^[1-9][0-9]{0,9}$/.test(claim) ? Number(claim) : undefined;
  return id !== undefined && Number.isInteger(id) && id >= 1 && id <= maxUserId ? id : undefined;
}

/** A token's role: learner when the claim is absent; a value that is not one of the roles is refused, not guessed. */
function roleOf(claim: unknown): Role | undefined {
  if (claim === undefined) return 'learner';
  return roles.find((role) => role === claim);
}

/** A teacher's courses: a list of ids, each as a user id is written (none when absent); anything else is refused. */
function courseIdsOf(claim: unknown): number[] | undefined {
  if (claim === undefined) return [];
  if (!Array.isArray(claim) || claim.length > 1000) return undefined;
  const ids = claim.map(userIdOf);
  return ids.every((id) => id !== undefined) ? (ids as number[]) : undefined;
}

/** The Bearer token presented, '' for a malformed one, undefined when none (other schemes are not ours). */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header || !/^Bearer\b/i.test(header)) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the presented key's length.
export function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
