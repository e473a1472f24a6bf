/** Lower case, accents and punctuation removed, whitespace collapsed: "Floating-Point!" → "floating point". */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** True when the reply is an accepted answer or contains one as whole words ("it's a string" for "string"). */
export function matchesAcceptedAnswer(reply: string, accepted: readonly string[]): boolean {
  const padded = ` ${normalizeAnswer(reply)} `;
  return accepted.some((answer) => {
    const wanted = normalizeAnswer(answer);
    return wanted.length > 0 && padded.includes(` ${wanted} `);
  });
}

/** True when the reply is, once normalized, exactly one of the accepted answers. */
export function equalsAcceptedAnswer(reply: string, accepted: readonly string[]): boolean {
  const normalized = normalizeAnswer(reply);
  return normalized.length > 0 && accepted.some((answer) => normalizeAnswer(answer) === normalized);
}

export type ReplyIntent = 'answer' | 'hint' | 'question';

// In English, Portuguese and Spanish, the languages the offline tutor speaks (accents are removed before matching).
const hintRequest =
  /^(hint|a hint|help|clue|(can|could) i (have|get) a (hint|clue)|give me a (hint|clue)|i (don t|do not) know|idk|no idea|not sure|i m stuck|stuck|dica|uma dica|ajuda|nao sei|pista|una pista|ayuda|no se)\b/;
const questionStart =
  /^(what|why|how|when|where|who|which|can you|could you|would you|will you|please explain|explain|tell me|show me|i don t understand)\b/;

/**
 * What a learner's message is while a question is pending: a request for a hint, a question of their own
 * (which should be answered, not graded), or an answer to grade. A message containing an accepted answer
 * is always an answer, even when phrased as a question ("is it a string?").
 */
export function classifyReply(message: string, accepted: readonly string[]): ReplyIntent {
  const normalized = normalizeAnswer(message);
  if (hintRequest.test(normalized) || /\b(hint|dica|pista)\b/.test(normalized)) return 'hint';
  if (matchesAcceptedAnswer(message, accepted)) return 'answer';
  if (message.trim().endsWith('?') || questionStart.test(normalized)) return 'question';
  return 'answer';
}
