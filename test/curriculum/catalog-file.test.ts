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
