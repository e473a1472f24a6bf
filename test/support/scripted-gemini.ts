import type { GeminiAnswer, GeminiBehaviour, GeminiRequest } from './gemini-double.js';

export const scriptedQuestions = [
  { question: 'Which data type stores text?', expected: 'string' },
  { question: 'Which data type stores whole numbers?', expected: 'integer' },
  { question: 'Which data type stores True or False?', expected: 'boolean' },
  { question: 'Which data type stores 3.14?', expected: 'float' },
];

type Part = { text?: string; functionCall?: { name: string; args: Record<string, string> }; functionResponse?: unknown };
type Content = { role: string; parts: Part[] };

export const contentsOf = (request: GeminiRequest): Content[] => request.body.contents;
export const textOf = (content: Content | undefined) => (content?.parts ?? []).map((part) => part.text ?? '').join('\n');
const between = (text: string, tag: string) => new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1] ?? '';

/** The grading model: correct when the learner's answer contains the expected answer. */
export function gradeAnswer(request: GeminiRequest): GeminiAnswer {
  const prompt = textOf(contentsOf(request)[0]);
  const expected = between(prompt, 'expected_answer').toLowerCase();
  const correct = between(prompt, 'learner_answer').toLowerCase().includes(expected);
  return {
    text: JSON.stringify({ correct, feedback: correct ? `Right, it is ${expected}.` : `Not quite: think of ${expected}.` }),
    usage: { prompt: 40, output: 12 },
  };
}

/**
 * A tutor model that behaves as a well-prompted Gemini would: in one response it writes its reply with the next of
 * the scripted questions and records that question with ask_question, whenever the function is offered; it
 * congratulates once the service's note says the topic is complete; without the function (a hint, a learner's own
 * question), it answers without asking.
 */
export const scriptedTutor: GeminiBehaviour = (request) => {
  if (request.grading) return gradeAnswer(request);
  const contents = contentsOf(request);
  if (textOf(contents.at(-1)).includes('The topic is now COMPLETE')) return { text: 'Well done, you have mastered this topic!', usage: { prompt: 180, output: 15 } };
  if (!offersAskQuestion(request)) return { text: 'Good question! Think about what we covered.', usage: { prompt: 180, output: 15 } };
  const asked = contents.flatMap((content) => content.parts.filter((part) => part.functionCall?.name === 'ask_question')).length;
  const next = scriptedQuestions[asked % scriptedQuestions.length]!;
  return {
    text: `Here is your question: ${next.question}`,
    functionCalls: [{ name: 'ask_question', args: { question: next.question, expected_answer: next.expected } }],
    usage: { prompt: 180, output: 15, cached: 100 },
  };
};

/** Whether the request offers the tutor the ask_question function. */
export const offersAskQuestion = (request: GeminiRequest): boolean =>
  (request.body.tools ?? []).some((tool: { functionDeclarations?: { name: string }[] }) =>
    (tool.functionDeclarations ?? []).some((declaration) => declaration.name === 'ask_question'),
  );
