import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import type { Events } from '../events/events.js';
import { tokensSince } from '../db/model-calls.js';
import { AppError } from '../errors.js';

export interface BudgetConfig {
  /** Prompt and output tokens a learner's turns may use in a UTC day (LEARNER_DAILY_TOKEN_BUDGET). */
  learnerDailyTokens?: number;
  /** The same, for the whole deployment (DAILY_TOKEN_BUDGET). */
  dailyTokens?: number;
}

/** Where the deployment stands against its daily budget. */
export interface DayUsage {
  day: string;
  used: number;
  budget: number;
}

// The deployment's total is summed over every call of the day: read at most this often per instance, so that a
// turn costs one indexed sum of its learner's calls, not of everyone's.
const totalCacheMs = 5_000;

const startOfUtcDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

export type Budgets = ReturnType<typeof createBudgets>;

/**
 * Daily token budgets, per learner and for the deployment, counted from the recorded model calls (tutor and grader;
 * cached prompt tokens included, as they are in the prompt). A turn past a budget is refused before it
 * calls any model, until the budget resets at UTC midnight. The deployment's total may lag by a few seconds.
 */
export function createBudgets(db: Db, config: BudgetConfig, now: () => Date = () => new Date()) {
  let total: { day: number; used: number; readAt: number } | undefined;

  async function deploymentUsed(dayStart: Date): Promise<number> {
    const at = now().getTime();
    if (total && total.day === dayStart.getTime() && at - total.readAt < totalCacheMs) return total.used;
    const used = await tokensSince(db, dayStart);
    total = { day: dayStart.getTime(), used, readAt: at };
    return used;
  }

  const refuse = (detail: string, dayStart: Date) => {
    const resetInSeconds = Math.max(1, Math.ceil((dayStart.getTime() + 86_400_000 - now().getTime()) / 1000));
    return new AppError('budget_exceeded', `${detail} It resets at midnight UTC.`, { retryAfterSeconds: resetInSeconds });
  };

  return {
    enabled: config.learnerDailyTokens !== undefined || config.dailyTokens !== undefined,

    /** Refuses (429 budget_exceeded, Retry-After until the reset) when the learner or the deployment is past its budget. */
    async check(userId: number): Promise<void> {
      const dayStart = startOfUtcDay(now());
      const [learner, deployment] = await Promise.all([
        config.learnerDailyTokens === undefined ? 0 : tokensSince(db, dayStart, userId),
        config.dailyTokens === undefined ? 0 : deploymentUsed(dayStart),
      ]);
      if (config.dailyTokens !== undefined && deployment >= config.dailyTokens) {
        throw refuse('The tutoring service has used its token budget for today.', dayStart);
      }
      if (config.learnerDailyTokens !== undefined && learner >= config.learnerDailyTokens) {
        throw refuse('You have used your tutoring budget for today.', dayStart);
      }
    },

    /** Counts tokens this instance just spent into the deployment's total it holds, until it reads it again. */
    spent(tokens: number): void {
      if (total && total.day === startOfUtcDay(now()).getTime()) total.used += tokens;
    },

    /** The deployment's usage today against its budget; undefined without a deployment budget. */
    async today(): Promise<DayUsage | undefined> {
      if (config.dailyTokens === undefined) return undefined;
      const dayStart = startOfUtcDay(now());
      return { day: dayStart.toISOString().slice(0, 10), used: await deploymentUsed(dayStart), budget: config.dailyTokens };
    },
  };
}

/** The share of the deployment's daily budget at which the platform is alerted. */
export const alertShare = 0.8;

/**
 * After a turn's model calls are saved: once the deployment has used 80 % of its daily budget, a `budget.alert`
 * event is queued (once a day, whichever instance sees it first) and a warning logged. Never fails the turn.
 */
export function budgetAlerts(budgets: Budgets, events: Events, db: Db, log: Logger): ((tokens: number) => void) | undefined {
  if (!budgets.enabled) return undefined;
  let alertedDay: string | undefined;
  return (tokens) => {
    budgets.spent(tokens);
    void (async () => {
      const today = await budgets.today();
      if (!today || today.day === alertedDay || today.used < today.budget * alertShare) return;
      alertedDay = today.day;
      log.warn({ day: today.day, usedTokens: today.used, budgetTokens: today.budget }, 'the deployment has used 80 % of its daily token budget');
      await events.queue(db, {
        type: 'budget.alert',
        key: `budget.alert:${today.day}`,
        data: { day: today.day, used_tokens: today.used, budget_tokens: today.budget, share: alertShare },
      });
    })().catch((error: unknown) => log.warn({ err: error }, 'the budget alert could not be checked'));
  };
}
