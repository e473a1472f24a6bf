import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, JwtConfig } from '../config.js';
import { AppError } from '../errors.js';
import { isPublicRoute } from './public-routes.js';

/**
 * Who is calling. `service`: a trusted server holding SERVICE_API_KEY, acting for any user. `user`: a learner
 * identified by a token, limited to their own sessions. `open`: a public route, or no authentication is configured.
 */
export type Principal = { kind: 'service' } | { kind: 'user'; userId: number } | { kind: 'open' };

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
  const keyDigests = config.serviceApiKeys.map(digest);
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
    if (keyDigests.length === 0 && !verify) return open;

    const token = bearerToken(request);
    if (token !== undefined) {
      // A token that does not verify is refused even alongside a valid key: the caller meant the token.
      if (!verify) throw unauthorized();
      return { kind: 'user', userId: await verify(token) };
    }
    const key = request.headers['x-api-key'];
    if (typeof key === 'string' && matchesAny(digest(key), keyDigests)) return { kind: 'service' };
    throw unauthorized();
  }
}

/** The user a request is limited to, or undefined when it may act for any user. */
export function ownerOf(request: FastifyRequest): number | undefined {
  return request.principal.kind === 'user' ? request.principal.userId : undefined;
}

/** Compares against every key, so that the time taken does not tell which one matched. */
function matchesAny(presented: Buffer, expected: Buffer[]): boolean {
  let matched = false;
  for (const candidate of expected) matched = timingSafeEqual(presented, candidate) || matched;
  return matched;
}

function tokenVerifier(jwt: JwtConfig | undefined): ((token: string) => Promise<number>) | undefined {
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
    if (userId === undefined) throw unauthorized();
    return userId;
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
