import type { BankQuestion, Objective } from '../curriculum/curriculum.js';

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

/**
 * The bank question to ask next about `objective`: one of its questions never asked yet; else any question never
 * asked yet (a question answered wrong, whose answer the tutor then gave, is asked again only when the bank has
 * nothing new); else, as above, the objective's question asked longest ago.
 */
export function questionFor(bank: readonly BankQuestion[], asked: readonly string[], objective: Objective | undefined): BankQuestion | undefined {
  const checking = objective ? bank.filter((question) => question.objective === objective.id) : [];
  const fresh = (questions: readonly BankQuestion[]) => questions.find((question) => !asked.includes(question.question));
  return fresh(checking) ?? fresh(bank) ?? nextBankQuestion(checking.length > 0 ? checking : bank, asked);
}
