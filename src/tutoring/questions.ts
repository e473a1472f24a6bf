import type { BankQuestion } from '../curriculum/curriculum.js';

/**
 * The bank question to ask next: one never asked yet, in bank order; once all have been asked, the one
 * asked longest ago. `asked` lists the questions already asked in this session, oldest first.
 */
export function nextBankQuestion(bank: readonly BankQuestion[], asked: readonly string[]): BankQuestion | undefined {
  let best: BankQuestion | undefined;
  let bestLastAsked = Infinity;
  for (const candidate of bank) {
    const lastAsked = asked.lastIndexOf(candidate.question);
    if (lastAsked < bestLastAsked) {
      best = candidate;
      bestLastAsked = lastAsked;
    }
  }
  return best;
}
