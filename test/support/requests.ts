import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

let lastUserId = 1000;
/** A learner no other test in the file has used, so that progress from one test never leaks into another. */
export const newUserId = () => ++lastUserId;

export interface StartedSessionBody {
  id: number;
  user_id: number;
  topic_id: number;
  course_id: number;
  status: string;
  started_at: string;
  completed_at: string | null;
  initial_message: string;
  language: string;
}

export interface TurnBody {
  session_id: number;
  ai_message: string;
  topic_completed: boolean;
  timestamp: string;
  message_id: number;
  user_message_id: number;
  progress: Record<string, number | boolean>;
}

export async function startSession(
  app: FastifyInstance,
  body: { user_id?: number; topic_id?: number; course_id?: number } = {},
): Promise<StartedSessionBody> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/sessions/start',
    payload: { user_id: newUserId(), topic_id: 5, course_id: 2, ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

export function sendMessage(app: FastifyInstance, sessionId: number, message: string) {
  return app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/message`, payload: { message } });
}

/** Sends a message that must succeed, and returns the tutor's turn. */
export async function say(app: FastifyInstance, sessionId: number, message: string): Promise<TurnBody> {
  const response = await sendMessage(app, sessionId, message);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

/** Every error leaves as RFC 9457 problem details with a stable code. */
export function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:problem:ai-training:${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body).not.toHaveProperty('stack');
  return body;
}
