import { inArray } from 'drizzle-orm';
import { expect, vi } from 'vitest';
import { outbox } from '../../src/db/schema.js';
import type { DotnetDouble } from '../support/dotnet-double.js';
import type { GeminiDouble } from '../support/gemini-double.js';
import { sendUntilDone, type RetryingClient } from '../support/learner.js';
import type { TestDatabase } from '../support/test-database.js';

/**
 * The service's settings for the fault suites: the .NET and Gemini doubles, and short leases, timeouts and polls,
 * so that each fault is recovered from in a fraction of a test's time.
 */
export function backendsEnv(dotnet: DotnetDouble, gemini: GeminiDouble): Record<string, string> {
  return {
    TURN_LEASE_TTL_SECONDS: '2',
    DOTNET_API_URL: dotnet.url,
    // A delivery whose outcome could not be recorded (the database away) is claimed again after the timeout + 5 s.
    DOTNET_API_TIMEOUT: '2',
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_MAX_BACKOFF_SECONDS: '1',
    GEMINI_API_KEY: 'k',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
  };
}

/**
 * What faults must not break, checked after the learners of a fault test are done: each session holds whole turns
 * only (the opening, then a learner message and its reply per turn, none twice), each completion is recorded once
 * (one outbox row), and the deduplicating .NET double has received each completion, none missing.
 */
export async function expectWholeSessions(
  client: RetryingClient,
  testDatabase: TestDatabase,
  dotnet: DotnetDouble,
  results: { sessionId: number; completed: boolean; turns: number }[],
): Promise<void> {
  for (const { sessionId, completed, turns } of results) {
    const { status, body } = await sendUntilDone(client, { method: 'GET', path: `/api/sessions/${sessionId}` });
    expect(status).toBe(200);
    const roles = body.messages.map((message: { role: string }) => message.role);
    expect(roles, `session ${sessionId}`).toEqual(['assistant', ...Array.from({ length: turns }, () => ['user', 'assistant']).flat()]);
    expect(body.status).toBe(completed ? 'completed' : 'active');
    expect(body.progress.passed).toBe(completed);
  }
  const completedIds = results.filter((result) => result.completed).map((result) => result.sessionId);
  const rows = await testDatabase.database.db.select({ sessionId: outbox.sessionId }).from(outbox).where(inArray(outbox.sessionId, completedIds));
  expect(rows.map((row) => row.sessionId).sort()).toEqual([...completedIds].sort());
  await vi.waitFor(() => expect(dotnet.completions.filter((id) => completedIds.includes(id)).sort()).toEqual([...completedIds].sort()), {
    timeout: 20_000,
    interval: 100,
  });
}
