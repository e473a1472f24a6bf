import { describe, expect, it } from 'vitest';
import type { Topic } from '../../src/curriculum/curriculum.js';
import { buildSystemPrompt, renderTemplate, templateVariables } from '../../src/tutoring/prompt.js';

const topic: Topic = {
  id: 5,
  courseId: 2,
  courseTitle: 'Introduction to Programming',
  title: 'Variables and Data Types',
  description: 'How programs store values.',
  learningObjectives: 'Understand variables, data types, and assignments',
  objectives: [
    { id: 'types', text: 'Name the data type of a value' },
    { id: 'assignment', text: 'Predict the value after an assignment' },
  ],
  mastery: null,
  requires: [],
  language: null,
  explanation: 'A variable is like a container.',
  promptTemplate: null,
  questions: [{ question: 'What data type is 42?', answers: ['integer', 'int'], hint: 'Whole number.' }],
};
const learner = { level: 'intermediate', completedTopics: ['Loops', 'Functions'], struggles: ['Recursion'] };
const input = { topic, learner, rule: { passCorrect: 2, questionCount: 3 }, completionMarker: '{TOPIC_COMPLETED}', language: 'en' };

describe('buildSystemPrompt, default prompt', () => {
  const { text, warning } = buildSystemPrompt(input);

  it('has the five parts, in order', () => {
    const headings = ['## Course context', '## Learning objectives', '## Learner context', '## Teaching instructions', '## Completion criteria'];
    const positions = headings.map((heading) => text.indexOf(heading));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(warning).toBeUndefined();
  });

  it('carries the course, topic, objectives, learner and rule', () => {
    expect(text).toContain('Course: Introduction to Programming');
    expect(text).toContain('Topic: Variables and Data Types');
    expect(text).toContain('Understand variables, data types, and assignments');
    expect(text).toContain('A variable is like a container.');
    expect(text).toContain('Level: intermediate');
    expect(text).toContain('Completed topics: Loops, Functions');
    expect(text).toContain('Previous struggles: Recursion');
    expect(text).toContain('answered 2 of the last 3 questions correctly');
    // No expected answer: the service's note names the next bank question, and the tutor never needs its answer.
    expect(text).not.toContain('integer');
  });

  it('lists the objectives with their ids, for ask_question, and tells the model the language', () => {
    expect(text).toContain("Objectives tracked (name the one each question checks in ask_question's objective):\n- types: Name the data type of a value\n- assignment: Predict");
    expect(text).toContain('## Language\nTeach in English (en): write every reply');
    expect(buildSystemPrompt({ ...input, language: 'pt-BR' }).text).toContain('Teach in Brazilian Portuguese (pt-BR): write every reply');
  });

  it('says so when the learner has no history', () => {
    const fresh = buildSystemPrompt({ ...input, learner: { level: 'beginner', completedTopics: [], struggles: [] } }).text;
    expect(fresh).toContain('Completed topics: none yet');
    expect(fresh).toContain('Previous struggles: none recorded');
  });
});

describe('buildSystemPrompt, custom template', () => {
  it('renders all eight variables', () => {
    const template =
      '{course_title}|{topic_title}|{topic_description}|{learning_objectives}|{user_level}|{completed_topics}|{struggles}|{completion_marker}';
    const { text, warning } = buildSystemPrompt({ ...input, topic: { ...topic, promptTemplate: template } });
    expect(warning).toBeUndefined();
    expect(text).toBe(
      'Introduction to Programming|Variables and Data Types|How programs store values.|Understand variables, data types, and assignments|' +
        'intermediate|Completed topics: Loops, Functions|Previous struggles: Recursion|{TOPIC_COMPLETED}',
    );
  });

  it('places the language where the template says, or adds the instruction at its end for a language other than English', () => {
    const placed = buildSystemPrompt({ ...input, language: 'es', topic: { ...topic, promptTemplate: 'Teach {topic_title} in {language}.' } });
    expect(placed.text).toBe('Teach Variables and Data Types in Spanish (es).');
    const appended = buildSystemPrompt({ ...input, language: 'es', topic: { ...topic, promptTemplate: 'Teach {topic_title}.' } });
    expect(appended.text).toBe('Teach Variables and Data Types.\n\nTeach in Spanish (es): write every reply, question, hint and piece of feedback in it, even when the learner writes in another language.');
  });

  it('never expands a placeholder that arrives inside a value', () => {
    const sneaky = { ...learner, struggles: ['{topic_title}', '{{x}}'] };
    const { text } = buildSystemPrompt({ ...input, learner: sneaky, topic: { ...topic, promptTemplate: 'S: {struggles}' } });
    expect(text).toBe('S: Previous struggles: {topic_title}, {{x}}');
  });

  it.each([
    ['an unknown placeholder', 'Teach {topic_title} to {student_name}', 'unknown placeholder {student_name}'],
    ['an unclosed brace', 'Teach {topic_title', 'unmatched "{"'],
    ['a stray closing brace', 'Teach } now', 'unmatched "}"'],
    ['an empty placeholder', 'Teach {} now', 'unknown placeholder {}'],
  ])('falls back to the default prompt, with a warning, on %s', (_case, template, problem) => {
    const { text, warning } = buildSystemPrompt({ ...input, topic: { ...topic, promptTemplate: template } });
    expect(text).toContain('## Completion criteria');
    expect(warning).toContain(problem);
    expect(warning).toContain('topic 5');
  });
});

describe('renderTemplate', () => {
  it('turns doubled braces into literal ones', () => {
    expect(renderTemplate('{{ "a": {x} }}', { x: '1' })).toEqual({ ok: true, text: '{ "a": 1 }' });
  });

  it('does not treat inherited object properties as variables', () => {
    expect(renderTemplate('{constructor}', templateVariables(input))).toEqual({
      ok: false,
      problem: 'unknown placeholder {constructor}',
    });
  });
});
