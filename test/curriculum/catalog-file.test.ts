import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalogDir } from '../../src/curriculum/catalog-file.js';
import { repoCurriculumDir } from '../support/build-test-app.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function catalogOf(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'catalog-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const question = (n: number) => `      - { question: Q${n}?, answers: [a${n}], hint: h${n} }\n`;
const topicYaml = (id: number, questions = 3) =>
  `  - id: ${id}\n    title: T${id}\n    description: D\n    learning_objectives: O\n    questions:\n` +
  Array.from({ length: questions }, (_, n) => question(n)).join('');

describe('loadCatalogDir', () => {
  it("loads the sample course with the seed's examples verbatim", () => {
    const { topics, courses } = loadCatalogDir(repoCurriculumDir);
    expect(courses.find((course) => course.id === 2)?.topics.map((topic) => topic.id)).toEqual([5, 6, 7]);
    expect(topics.get(5)).toMatchObject({
      courseId: 2,
      courseTitle: 'Introduction to Programming',
      title: 'Variables and Data Types',
      learningObjectives: 'Understand variables, data types, and assignments',
    });
    const sampleTopics = [...topics.values()].filter((topic) => topic.courseId === 2);
    expect(sampleTopics.length).toBeGreaterThanOrEqual(3);
    for (const topic of sampleTopics) {
      expect(topic.questions.length).toBeGreaterThanOrEqual(3);
      expect(topic.description).not.toBe('');
    }
  });

  it('names the file and the field of a missing or wrong value', () => {
    const dir = catalogOf({ 'bad.yaml': `id: 1\ntitle: C\ntopics:\n  - id: 2\n    title: T\n    description: D\n    questions: []\n` });
    expect(() => loadCatalogDir(dir)).toThrow(/bad\.yaml: .*topics\.0\.learning_objectives/);
    expect(() => loadCatalogDir(dir)).toThrow(/topics\.0\.questions: each topic needs at least 3 questions/);
  });

  it('takes objectives, the objective each question checks, prerequisites, mastery parameters and a language', () => {
    const objectives = '    objectives:\n      - { id: a, text: First }\n      - { id: b, text: Second }\n';
    const checked = (objective: string, n: number) => `      - { question: Q${n}?, answers: [a${n}], hint: h${n}, objective: ${objective} }\n`;
    const topic = (id: number, extra: string, questions = ['a', 'a', 'b']) =>
      `  - id: ${id}\n    title: T${id}\n    description: D\n    learning_objectives: O\n${extra}    questions:\n` + questions.map(checked).join('');
    const course = (topics: string, header = 'language: pt-br\n') => catalogOf({ 'c.yaml': `id: 1\ntitle: C\n${header}topics:\n${topics}` });

    const { topics } = loadCatalogDir(course(topic(1, objectives) + topic(2, `${objectives}    requires: [1]\n    mastery: { prior: 0.5 }\n`)));
    expect(topics.get(2)).toMatchObject({ language: 'pt-BR', requires: [1], mastery: { prior: 0.5 }, objectives: [{ id: 'a', text: 'First' }, { id: 'b', text: 'Second' }] });
    expect(topics.get(2)!.questions.map((question) => question.objective)).toEqual(['a', 'a', 'b']);
    // Without a list, the learning objectives are the one objective every question checks.
    const plain = loadCatalogDir(catalogOf({ 'c.yaml': `id: 1\ntitle: C\ntopics:\n${topicYaml(3)}` })).topics.get(3)!;
    expect(plain.objectives).toEqual([{ id: '1', text: 'O' }]);
    expect(plain.questions.every((question) => question.objective === '1')).toBe(true);

    const problems: [string, string][] = [
      [topic(1, objectives, ['a', 'a', 'a']), 'objective b is checked by no question'],
      [topic(1, objectives, ['a', 'b', 'c']), "questions.2.objective: must be one of the topic's objectives (a, b)"],
      [topic(1, objectives, ['a', 'b']).replace(/objective: b }/, '}') + checked('a', 9), 'must name the objective it checks'],
      [topic(1, `${objectives}    mastery: { slip: 0.5, guess: 0.5 }\n`), 'slip and guess must add up to less than 1'],
      [topic(1, `${objectives}    requires: [2]\n`) + topic(2, `${objectives}    requires: [1]\n`), 'topics require each other in a cycle (1 → 2 → 1)'],
      [topic(1, `${objectives}    requires: [7]\n`), 'topic 1 requires topic 7, which its course does not have'],
    ];
    for (const [topics, problem] of problems) expect(() => loadCatalogDir(course(topics)), problem).toThrow(problem);
    expect(() => loadCatalogDir(course(topic(1, objectives), 'language: english\n'))).toThrow('language: must be a language tag');
  });

  it('rejects unknown fields, which are usually typos', () => {
    const dir = catalogOf({ 'c.yaml': `id: 1\ntitle: C\ntopics:\n${topicYaml(2)}    learning_objective: typo\n` });
    expect(() => loadCatalogDir(dir)).toThrow(/c\.yaml: topics\.0: Unrecognized key: "learning_objective"/);
  });

  it('reports YAML syntax errors with the line', () => {
    const dir = catalogOf({ 'broken.yml': 'id: 1\ntitle: [unclosed\n' });
    expect(() => loadCatalogDir(dir)).toThrow(/broken\.yml \(line \d+\): not valid YAML/);
  });

  it('rejects a topic id used twice, across files', () => {
    const dir = catalogOf({
      'a.yaml': `id: 1\ntitle: A\ntopics:\n${topicYaml(7)}`,
      'b.yaml': `id: 2\ntitle: B\ntopics:\n${topicYaml(7)}`,
    });
    expect(() => loadCatalogDir(dir)).toThrow(/b\.yaml: topic id 7 is defined twice/);
  });

  it('rejects an empty or missing directory', () => {
    expect(() => loadCatalogDir(catalogOf({ 'notes.txt': 'x' }))).toThrow(/has no \.yaml course files/);
    expect(() => loadCatalogDir('/nonexistent/curriculum')).toThrow(/Cannot read the curriculum directory/);
  });
});
