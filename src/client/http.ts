// What every call to the service shares: the credentials it sends, and the problem (RFC 9457) it may answer with.

/** How a client signs in: as a learner with a token, with the service key for a learner, or (no auth) as a learner. */
export type Credentials =
  | { kind: 'token'; token: string; userId: number }
  | { kind: 'key'; key: string; userId: number }
  | { kind: 'open'; userId: number };

/** A problem the service answered with (RFC 9457), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

export function authHeaders(credentials: Credentials): Record<string, string> {
  if (credentials.kind === 'token') return { authorization: `Bearer ${credentials.token}` };
  if (credentials.kind === 'key') return { 'x-api-key': credentials.key };
  return {};
}

/** The error of a response that is not a success. */
export async function problemOf(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  try {
    const body = (await response.json()) as { code?: string; detail?: string };
    return new ApiError(response.status, body.code ?? 'unknown', body.detail ?? response.statusText, retryAfter);
  } catch {
    return new ApiError(response.status, 'unknown', response.statusText, retryAfter);
  }
}

export const networkError = () => new ApiError(0, 'network', 'The service cannot be reached.');
