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
 * A tutor model that behaves as a well-prompted Gemini would: it asks the scripted questions in order with
 * ask_question, writes each question after the function's result, and congratulates once the service's
 * note says the topic is complete.
 */
export const scriptedTutor: GeminiBehaviour = (request) => {
  if (request.grading) return gradeAnswer(request);
  const contents = contentsOf(request);
  const last = contents.at(-1)!;
  const asked = contents.flatMap((content) => content.parts.filter((part) => part.functionCall?.name === 'ask_question'));
  if (last.parts.some((part) => part.functionResponse)) {
    const question = asked.at(-1)!.functionCall!.args.question;
    return { text: `Here is your question: ${question}`, usage: { prompt: 200, output: 20, cached: 100 } };
  }
  const note = textOf(last);
  if (note.includes('The topic is now COMPLETE')) return { text: 'Well done, you have mastered this topic!' };
  const next = scriptedQuestions[asked.length % scriptedQuestions.length]!;
  return {
    functionCalls: [{ name: 'ask_question', args: { question: next.question, expected_answer: next.expected } }],
    usage: { prompt: 180, output: 15 },
  };
};
