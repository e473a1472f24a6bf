import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { Course, Topic } from './curriculum.js';
import { CatalogError } from './catalog-error.js';
import { objectivesFromText } from './objectives.js';
import { canonicalLanguage } from '../language.js';

const id = z.number().int().positive().max(2147483647);
const text = z.string().trim().min(1);

const probability = z.number().gt(0).lt(1);
const language = text.refine((tag) => canonicalLanguage(tag) !== undefined, 'must be a language tag (BCP 47) such as en or pt-BR');

const topicSchema = z
  .strictObject({
    id,
    title: text,
    description: text,
    learning_objectives: text,
    objectives: z
      .array(z.strictObject({ id: z.string().trim().regex(/^[\w.-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . or -'), text }))
      .min(1)
      .optional(),
    requires: z.array(id).optional(),
    mastery: z.strictObject({ prior: probability, learn: probability, slip: probability, guess: probability }).partial().optional(),
    explanation: text.optional(),
    prompt_template: text.optional(),
    questions: z
      .array(z.strictObject({ question: text, answers: z.array(text).min(1), hint: text, objective: text.optional() }))
      .min(3, 'each topic needs at least 3 questions'),
  })
  .superRefine((topic, context) => {
    const ids = (topic.objectives ?? []).map((objective) => objective.id);
    if (new Set(ids).size !== ids.length) context.addIssue({ code: 'custom', path: ['objectives'], message: 'objective ids must differ' });
    topic.questions.forEach((question, index) => {
      if (topic.objectives && question.objective === undefined) {
        context.addIssue({ code: 'custom', path: ['questions', index, 'objective'], message: 'must name the objective it checks (the topic lists objectives)' });
      } else if (question.objective !== undefined && !ids.includes(question.objective)) {
        context.addIssue({ code: 'custom', path: ['questions', index, 'objective'], message: `must be one of the topic's objectives (${ids.join(', ') || 'it lists none'})` });
      }
    });
    if (topic.requires?.includes(topic.id)) context.addIssue({ code: 'custom', path: ['requires'], message: 'a topic cannot require itself' });
  });

const courseFileSchema = z.strictObject({
  id,
  title: text,
  description: text.optional(),
  language: language.optional(),
  topics: z.array(topicSchema).min(1),
});

/** The local catalog: its courses in the order of their files, each with its topics in the file's order. */
export interface Catalog {
  courses: Course[];
  topics: Map<number, Topic>;
}

/** Reads every `*.yaml`/`*.yml` course file in `dir`; any problem is an error naming the file and the field. */
export function loadCatalogDir(dir: string): Catalog {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    throw new CatalogError(`Cannot read the curriculum directory ${dir}: ${(error as Error).message}`);
  }
  if (files.length === 0) throw new CatalogError(`The curriculum directory ${dir} has no .yaml course files`);

  const topics = new Map<number, Topic>();
  const courses: Course[] = [];
  const courseFiles = new Map<number, string>();
  for (const name of files) {
    const file = path.join(dir, name);
    const course = parseCourseFile(file);
    const earlier = courseFiles.get(course.id);
    if (earlier) throw new CatalogError(`${file}: course id ${course.id} is already defined in ${earlier}`);
    courseFiles.set(course.id, file);
    const courseTopics: Topic[] = [];
    courses.push({ id: course.id, title: course.title, description: course.description ?? null, topics: courseTopics });
    for (const topic of course.topics) {
      if (topics.has(topic.id)) throw new CatalogError(`${file}: topic id ${topic.id} is defined twice in the catalog`);
      const objectives = topic.objectives ?? objectivesFromText(topic.learning_objectives);
      // With one objective, every question checks it.
      const only = objectives.length === 1 ? objectives[0]!.id : undefined;
      const entry: Topic = {
        id: topic.id,
        courseId: course.id,
        courseTitle: course.title,
        title: topic.title,
        description: topic.description,
        learningObjectives: topic.learning_objectives,
        objectives,
        mastery: topic.mastery ?? null,
        requires: topic.requires ?? [],
        language: course.language === undefined ? null : canonicalLanguage(course.language)!,
        explanation: topic.explanation ?? null,
        promptTemplate: topic.prompt_template ?? null,
        questions: topic.questions.map((question) => (question.objective === undefined && only ? { ...question, objective: only } : question)),
      };
      topics.set(topic.id, entry);
      courseTopics.push(entry);
    }
  }
  for (const topic of topics.values()) {
    const unknown = topic.requires.filter((required) => !topics.has(required));
    if (unknown.length > 0) throw new CatalogError(`${courseFiles.get(topic.courseId)}: topic ${topic.id} requires topic ${unknown.join(', ')}, which the catalog does not have`);
  }
  return { courses, topics };
}

function parseCourseFile(file: string): z.infer<typeof courseFileSchema> {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new CatalogError(`${file}${where}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = courseFileSchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new CatalogError(`${file}: ${problems.join('; ')}`);
  }
  return result.data;
}
