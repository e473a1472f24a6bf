import type { Logger } from 'pino';
import { redactPersonalData } from './personal-data.js';
import { classifyRisk, type RiskFlag, type Severity } from './risk-rules.js';

export type FlagSource = 'rules' | 'moderation';

export interface Flag extends RiskFlag {
  source: FlagSource;
}

export interface Assessment {
  /** The risks found, one per category (the highest severity, from the rules or the endpoint). */
  flags: Flag[];
  /** A high-severity self-harm flag: the turn gets the fixed supportive reply, and no model sees the message. */
  endsTurn: boolean;
  /** The message as models may see it: personal data redacted (PII_REDACTION). */
  forModels: string;
}

export interface SafetyConfig {
  /** Redact personal data from what every model receives (PII_REDACTION). */
  redactPersonalData: boolean;
  /** The reply to a high-severity self-harm message (SAFETY_SELF_HARM_REPLY). */
  selfHarmReply: string;
}

export type Moderation = ReturnType<typeof createModeration>;

/**
 * The moderation step every learner message passes before any model sees it: personal data redacted, risks
 * classified by the offline rules and, when configured, an OpenAI-compatible moderation endpoint (which sees the
 * redacted text). An endpoint that fails leaves the rules' verdict, and is logged.
 */
export function createModeration(config: SafetyConfig, log: Logger, endpoint?: (text: string) => Promise<RiskFlag[]>) {
  const redact = (text: string) => (config.redactPersonalData ? redactPersonalData(text).text : text);
  const rank: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

  return {
    config,
    redact,
    async assess(message: string): Promise<Assessment> {
      const forModels = redact(message);
      const flags = new Map<RiskFlag['category'], Flag>();
      const add = (found: RiskFlag[], source: FlagSource) => {
        for (const flag of found) {
          const known = flags.get(flag.category);
          if (!known || rank[flag.severity] > rank[known.severity]) flags.set(flag.category, { ...flag, source });
        }
      };
      add(classifyRisk(message), 'rules');
      if (endpoint) {
        try {
          add(await endpoint(forModels), 'moderation');
        } catch (error) {
          log.warn({ err: (error as Error).message }, 'the moderation endpoint failed: the rules alone assessed the message');
        }
      }
      const found = [...flags.values()];
      return { flags: found, endsTurn: found.some((flag) => flag.category === 'self_harm' && flag.severity === 'high'), forModels };
    },
  };
}

/** The default reply to a message that says the learner may harm themself: no model writes it. */
export const defaultSelfHarmReply =
  "I'm really sorry you're feeling this way, and I'm glad you told me. You don't have to face this alone: please talk " +
  "to someone you trust right now, such as a family member, a friend, a teacher or a school counsellor. If you might " +
  'act on these thoughts, call your local emergency number, or a crisis line (in many countries you can find one at ' +
  'https://findahelpline.com). We can go back to the lesson whenever you are ready.';
