import { learnerApi } from '../client/api.js';
import type { Credentials } from '../client/http.js';
import { driveSession, type ServiceAccess } from './drive-session.js';
import type { Judge } from './judge.js';
import { evaluate } from './metrics.js';
import type { EvalOptions } from './options.js';
import { createPersona } from './personas.js';
import { seededRandom } from './random.js';
import type { RunInfo, SessionRecord } from './records.js';
import type { Results } from './report.js';
import { checkThresholds, type Thresholds } from './thresholds.js';

export interface EvaluationTarget extends ServiceAccess {
  embedded: boolean;
  /** The completion marker the service's tutor is told to write. */
  marker: string;
  /** The learners' ids start after it. */
  userBase: number;
}

/** The service could not be evaluated: why, for the person running the harness. */
export class EvaluationError extends Error {}

/** What the service says of itself (GET /api/health). */
interface Health {
  llm: { provider: string; model: string; grader_model?: string };
}

/** Every persona on every topic, `runs` times, one session after another; the figures and the thresholds checked. */
export async function runEvaluation(
  target: EvaluationTarget,
  options: EvalOptions,
  thresholds: Thresholds,
  judge: Judge | undefined,
  progress: (line: string) => void,
): Promise<{ results: Results; sessions: SessionRecord[] }> {
  const credentials: Credentials = target.adminKey ? { kind: 'key', key: target.adminKey, userId: target.userBase } : { kind: 'open', userId: target.userBase };
  const api = learnerApi(credentials, target.url);
  const health = await healthOf(target.url);
  const topics = await topicsToLearn(api, options.topics);

  const sessions: SessionRecord[] = [];
  let rule: RunInfo['rule'] | undefined;
  let learner = 0;
  for (let run = 1; run <= options.runs; run++) {
    for (const topic of topics) {
      for (const name of options.personas) {
        learner++;
        const { record, rule: sessionRule } = await driveSession(target, {
          persona: createPersona(name),
          topicId: topic.id,
          courseId: topic.course_id,
          userId: target.userBase + learner,
          run,
          maxTurns: options.maxTurns,
          marker: target.marker,
          random: seededRandom(options.seed * 1_000_003 + learner),
          judge,
        });
        rule ??= sessionRule;
        sessions.push(record);
        const outcome = record.completed ? `mastered in ${record.turns.length - 1} messages` : `not mastered after ${record.turns.length - 1} messages`;
        progress(`run ${run}, topic ${topic.id}, ${name}: ${outcome}`);
      }
    }
  }

  // Without recorded questions there is no truth to compare with: the marker policy, or a tutor that never asks.
  if (sessions.every((session) => session.questionsAsked === 0)) {
    throw new EvaluationError(
      'The service recorded no question in any session: the harness needs the graded policy (COMPLETION_POLICY=graded) and a tutor that asks with ask_question.',
    );
  }

  const info: RunInfo = {
    service: {
      url: target.url,
      embedded: target.embedded,
      provider: health.llm.provider,
      model: health.llm.model,
      graderModel: health.llm.grader_model ?? null,
    },
    rule: rule ?? { passCorrect: 0, questionCount: 0 },
    marker: target.marker,
    topics: topics.map((topic) => topic.id),
    personas: options.personas,
    runs: options.runs,
    maxTurns: options.maxTurns,
    judge: judge ? { provider: judge.provider, model: judge.model } : null,
  };
  const figures = evaluate(sessions, info);
  return { results: { info, ...figures, thresholds: checkThresholds(thresholds, figures) }, sessions };
}

async function healthOf(url: string): Promise<Health> {
  try {
    const response = await fetch(`${url}/api/health`);
    const body = (await response.json()) as Partial<Health>;
    if (!body.llm) throw new Error('not the service');
    return body as Health;
  } catch {
    throw new EvaluationError(`No AI Training Service answers at ${url} (GET /api/health).`);
  }
}

/** The topics asked for, or every topic of every course in catalog order. */
async function topicsToLearn(api: ReturnType<typeof learnerApi>, ids: number[] | undefined): Promise<{ id: number; course_id: number }[]> {
  if (ids) return Promise.all(ids.map((id) => api.topic(id)));
  const courses = await api.courses();
  const details = await Promise.all(courses.map((course) => api.course(course.id)));
  return details.flatMap((course) => course.topics);
}
