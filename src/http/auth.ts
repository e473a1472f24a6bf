import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { AppError } from '../errors.js';

/**
 * Who is calling. `service`: a trusted server holding SERVICE_API_KEY, acting for any user. `user`: a learner
 * identified by a token, limited to their own sessions. `open`: no authentication is configured.
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
 * Authenticates every `/api/*` request but the liveness check. The caller is identified first (so that rate
 * limits can count refused callers too), and refused with 401 before the body is read.
 */
export function registerAuth(app: FastifyInstance, config: AuthConfig): void {
  const verify = tokenVerifier(config.jwt);
  const keyDigest = config.serviceApiKey ? digest(config.serviceApiKey) : undefined;
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
      request.authFailure = error;
    }
  });

  async function identify(request: FastifyRequest): Promise<Principal> {
    const open: Principal = { kind: 'open' };
    if (request.method === 'OPTIONS' || !request.url.startsWith('/api/') || isProbe(request)) return open;
    if (!keyDigest && !verify) return open;

    const token = bearerToken(request);
    if (token !== undefined) {
      // A token that does not verify is refused even alongside a valid key: the caller meant the token.
      if (!verify) throw unauthorized();
      return { kind: 'user', userId: await verify(token) };
    }
    const key = request.headers['x-api-key'];
    if (keyDigest && typeof key === 'string' && timingSafeEqual(digest(key), keyDigest)) return { kind: 'service' };
    throw unauthorized();
  }
}

/** The user a request is limited to, or undefined when it may act for any user. */
export function ownerOf(request: FastifyRequest): number | undefined {
  return request.principal.kind === 'user' ? request.principal.userId : undefined;
}

function tokenVerifier(jwt: AuthConfig['jwt']): ((token: string) => Promise<number>) | undefined {
  if (!jwt) return undefined;
  const key: Uint8Array | JWTVerifyGetKey =
    jwt.kind === 'secret' ? new TextEncoder().encode(jwt.secret) : createRemoteJWKSet(new URL(jwt.url));
  const algorithms = jwt.kind === 'secret' ? ['HS256'] : ['RS256', 'ES256'];
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, { algorithms, issuer: jwt.issuer, audience: jwt.audience }));
    } catch {
      throw unauthorized();
    }
    const userId = Number(payload[jwt.userIdClaim]);
    if (!Number.isInteger(userId) || userId <= 0 || userId > 2147483647) throw unauthorized();
    return userId;
  };
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

/** The liveness and readiness probes are open: orchestrators call them without credentials. */
export function isProbe(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0];
  return path === '/api/health' || path === '/api/ready';
}
