// A rule-based risk classifier that works offline, in English and Portuguese: a floor, not a guarantee. Its rules
// are phrases about people (oneself, someone else), so that a programming course's words ("kill the process",
// "this bug is killing me", "matar o processo", "the loop dies") raise nothing. test/safety holds a corpus of such
// harmless phrases that must raise no flag, and one of risky phrases that must.

export type RiskCategory = 'self_harm' | 'violence' | 'sexual' | 'harassment';
export type Severity = 'low' | 'medium' | 'high';

export interface RiskFlag {
  category: RiskCategory;
  severity: Severity;
}

interface Rule extends RiskFlag {
  pattern: RegExp;
}

/** Lower case, accents removed, apostrophes unified, so that one pattern covers the ways a phrase is typed. */
export function normalizeForRules(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/\s+/g, ' ');
}

const rules: Rule[] = [
  // Self-harm, high: intent or plan to end one's life or hurt oneself.
  {
    category: 'self_harm',
    severity: 'high',
    pattern:
      /\b(?:(?:i|i'm|im|i am)\s+(?:want|wanna|going|gonna|plan(?:ning)?|thinking(?: about| of)?|about|trying|ready)\s+(?:to\s+)?(?:kill(?:ing)?|hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?)\s+my\s?self|(?:kill|hurt|harm|cut)\s+my\s?self|end(?:ing)?\s+(?:it all|my (?:own )?life(?!\s*-?\s*(?:cycle|span|time)))|take\s+my\s+(?:own\s+)?life|(?:want to|wanna)\s+die(?! laughing)|commit(?:ting)?\s+suicide|(?:i'm|im|i am|i feel|feeling)\s+suicidal)\b/,
  },
  {
    category: 'self_harm',
    severity: 'high',
    pattern:
      /\b(?:(?:quero|vou|penso em|pensando em|pretendo)\s+(?:me\s+(?:matar|cortar|machucar|ferir)(?!\s+de\b)|morrer(?!\s+de\b)|acabar com (?:a )?minha vida|tirar (?:a )?minha (?:propria )?vida)|me\s+matar(?!\s+de\b)|cometer suicidio|(?:estou|me sinto) suicida|nao quero mais viver(?!\s+(?:com|assim com|nesse|neste|desse)\b))\b/,
  },
  // Self-harm, medium: despair without a stated intent.
  {
    category: 'self_harm',
    severity: 'medium',
    pattern: /\b(?:suicid(?:e|al|io|a)|i hate my life|no reason to live|nothing to live for|(?:i'd|i would|i'm|i am|i'll|i will)\s+(?:be\s+)?better off dead|(?:odeio|detesto) (?:a )?minha vida(?!\s+de\b)|sem (?:razao|motivo) para viver|melhor (?:eu )?(?:estar|estaria) mort[oa])\b/,
  },
  // Violence: a threat or plan against people.
  {
    category: 'violence',
    severity: 'high',
    pattern:
      /\b(?:(?:i(?:'m| am|'ll| will)?|gonna|going to)\s+(?:kill|shoot|stab|murder|beat up)\s+(?:you|him|her|them|everyone|everybody|my (?:teacher|classmates?|parents?|mom|dad|brother|sister))|(?:bring|take)\s+a\s+(?:gun|knife|weapon)\s+to\s+(?:school|class)|school shooting|(?:vou|quero)\s+te\s+(?:matar|esfaquear|dar um tiro)|(?:vou|quero)\s+(?:matar|esfaquear|atirar em)\s+(?:voce|vc|voces|ele|ela|eles|elas|todo mundo|todos voces|todos eles|meu professor|minha professora|meus colegas|minha familia)\b|levar (?:uma )?(?:arma|faca) para (?:a )?escola)\b/,
  },
  // Sexual content.
  {
    category: 'sexual',
    severity: 'medium',
    pattern: /\b(?:sex(?:ual)?\s+(?:with|pics?|photos?|chat)|send (?:me )?nudes?|nude (?:pics?|photos?)|(?:send|show|watch) (?:me )?porn(?:o|ography)?|porn (?:pics?|videos?|photos?)|fotos? (?:pelad[oa]s?|nuas?|intimas)|manda nudes?|sexo com)\b/,
  },
  // Harassment: insults aimed at someone, slurs.
  {
    category: 'harassment',
    severity: 'low',
    pattern:
      /\b(?:you(?:'re| are)\s+(?:so\s+)?(?:stupid|an? idiot|dumb|useless|worthless|pathetic|a moron)|shut up,? (?:you )?(?:idiot|stupid|moron)|(?:voce|vc) (?:e|eh)\s+(?:muito\s+)?(?:burr[oa]|idiota|inutil|imbecil|estupid[oa])|cala a boca,? (?:seu|sua)? ?(?:idiota|burr[oa]|imbecil))\b/,
  },
];

/** The risks a message carries, at most one per category (its highest severity). */
export function classifyRisk(text: string): RiskFlag[] {
  const normalized = normalizeForRules(text);
  const rank = { low: 0, medium: 1, high: 2 };
  const found = new Map<RiskCategory, Severity>();
  for (const rule of rules) {
    if (!rule.pattern.test(normalized)) continue;
    const known = found.get(rule.category);
    if (!known || rank[rule.severity] > rank[known]) found.set(rule.category, rule.severity);
  }
  return [...found].map(([category, severity]) => ({ category, severity }));
}
