import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createModeration, defaultSelfHarmReply } from '../../src/safety/moderation.js';
import { redactPersonalData } from '../../src/safety/personal-data.js';

// The offline moderation step: the rules on two committed corpora, and personal data redaction.

const lines = (file: string) =>
  readFileSync(new URL(`../fixtures/safety/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));

const moderation = createModeration({ redactPersonalData: true, selfHarmReply: defaultSelfHarmReply }, pino({ level: 'silent' }));

describe('the rule-based risk classifier', () => {
  it('raises no flag on the harmless corpus of the courses’ subjects, in English and Portuguese', async () => {
    const flagged: string[] = [];
    for (const phrase of lines('harmless-phrases.txt')) if ((await moderation.assess(phrase)).flags.length > 0) flagged.push(phrase);
    expect(flagged).toEqual([]);
    expect(lines('harmless-phrases.txt').length).toBeGreaterThanOrEqual(40);
  });

  it('flags each phrase of the risky corpus with its category and severity', async () => {
    for (const line of lines('risky-phrases.txt')) {
      const [label, phrase] = line.split('\t') as [string, string];
      const [category, severity] = label.split(' ');
      const assessment = await moderation.assess(phrase);
      expect(assessment.flags, phrase).toEqual([{ category, severity, source: 'rules' }]);
      expect(assessment.endsTurn, phrase).toBe(category === 'self_harm' && severity === 'high');
    }
  });
});

describe('personal data redaction', () => {
  it('replaces e-mail addresses, phone numbers, card and identity numbers and street addresses', () => {
    const cases: [string, string][] = [
      ['write to ana.silva@example.com please', 'write to [email] please'],
      ['call me at +55 11 98765-4321', 'call me at [phone]'],
      ['my number is (555) 123-4567', 'my number is [phone]'],
      ['liga pra mim 98765-4321', 'liga pra mim [phone]'],
      ['my card is 4111 1111 1111 1111', 'my card is [card number]'],
      ['meu CPF é 123.456.789-09', 'meu CPF é [identity number]'],
      ['SSN 123-45-6789', 'SSN [identity number]'],
      ['I live at 221 Baker Street', 'I live at [address]'],
      ['moro na Rua das Flores 123', 'moro na [address]'],
      ['moro na Rua Augusta, 1500', 'moro na [address]'],
      ['meu celular é 11 98765 4321', 'meu celular é [phone]'],
      ['o fixo é 021 3333-4444', 'o fixo é [phone]'],
    ];
    for (const [text, redacted] of cases) expect(redactPersonalData(text).text, text).toBe(redacted);
  });

  it('leaves answers and code alone', () => {
    for (const text of ['the answer is 42', 'x = 3.14', 'for i in range(10, 20)', '2024-01-15', 'range 1000-2000', 'version 1.2.3', 'it is 100 200 300 400', '1234 5678 9012 3456 fails Luhn', 'a lista 10 20 30 40', 'em 2024 1234 itens']) {
      expect(redactPersonalData(text).text, text).toBe(text);
    }
  });
});
