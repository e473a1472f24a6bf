import { describe, expect, it } from 'vitest';
import { nextBankQuestion } from '../../src/tutoring/questions.js';

const bank = ['A?', 'B?', 'C?'].map((question) => ({ question, answers: ['x'], hint: 'h' }));

describe('nextBankQuestion', () => {
  it('asks unasked questions in bank order', () => {
    expect(nextBankQuestion(bank, [])?.question).toBe('A?');
    expect(nextBankQuestion(bank, ['A?'])?.question).toBe('B?');
    expect(nextBankQuestion(bank, ['B?', 'A?'])?.question).toBe('C?');
  });

  it('then asks the question asked longest ago', () => {
    expect(nextBankQuestion(bank, ['A?', 'B?', 'C?'])?.question).toBe('A?');
    expect(nextBankQuestion(bank, ['A?', 'B?', 'C?', 'A?'])?.question).toBe('B?');
    expect(nextBankQuestion(bank, ['C?', 'B?', 'A?', 'C?'])?.question).toBe('B?');
  });

  it('has nothing to ask from an empty bank', () => {
    expect(nextBankQuestion([], ['A?'])).toBeUndefined();
  });
});
