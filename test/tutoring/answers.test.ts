import { describe, expect, it } from 'vitest';
import { classifyReply, matchesAcceptedAnswer, normalizeAnswer } from '../../src/tutoring/answers.js';

describe('normalizeAnswer', () => {
  it('ignores case, accents, punctuation and spacing', () => {
    expect(normalizeAnswer('  Floating-Point!  ')).toBe('floating point');
    expect(normalizeAnswer('CAFÉ')).toBe('cafe');
    expect(normalizeAnswer('x  =\t7')).toBe('x 7');
  });
});

describe('matchesAcceptedAnswer', () => {
  it('accepts an accepted answer alone or as whole words in a sentence', () => {
    expect(matchesAcceptedAnswer('String', ['string', 'str'])).toBe(true);
    expect(matchesAcceptedAnswer("I think it's a str.", ['string', 'str'])).toBe(true);
    expect(matchesAcceptedAnswer('floating point', ['float', 'floating point'])).toBe(true);
  });

  it('does not accept a part of a word or another answer', () => {
    expect(matchesAcceptedAnswer('strings are fun', ['string'])).toBe(false);
    expect(matchesAcceptedAnswer('integer', ['int'])).toBe(false);
    expect(matchesAcceptedAnswer('', ['string'])).toBe(false);
    expect(matchesAcceptedAnswer('anything', ['!!!'])).toBe(false);
  });
});

describe('classifyReply', () => {
  const accepted = ['string', 'str'];

  it('recognizes requests for a hint', () => {
    for (const message of ['hint', 'Can I have a hint?', "I don't know", 'idk', 'give me a clue please', 'no idea', 'Pode me dar uma dica?', 'Não sei', '¿Me das una pista?']) {
      expect(classifyReply(message, accepted), message).toBe('hint');
    }
  });

  it("recognizes the learner's own questions", () => {
    for (const message of ['Can you explain what variables are?', 'why is that?', 'Explain assignment again']) {
      expect(classifyReply(message, accepted), message).toBe('question');
    }
  });

  it('treats anything else, and a question containing an accepted answer, as an answer', () => {
    expect(classifyReply('is it a string?', accepted)).toBe('answer');
    expect(classifyReply('integer', accepted)).toBe('answer');
    expect(classifyReply('a boolean', accepted)).toBe('answer');
  });
});
