import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { Course, Topic } from './curriculum.js';
import { defaultMasteryParams } from '../tutoring/mastery.js';
import { CatalogError } from './catalog-error.js';
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
    mastery: z
      .strictObject({ prior: probability, learn: probability, slip: probability, guess: probability })
      .partial()
      // A learner who knows the objective must be likelier to answer right than one who does not.
      .refine((params) => (params.slip ?? defaultMasteryParams.slip) + (params.guess ?? defaultMasteryParams.guess) < 1, {
        message: 'slip and guess must add up to less than 1: otherwise a right answer would lower the mastery',
      })
      .optional(),
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
    // An objective no question checks could never be mastered on the offline tutor, and would hold a mastery gate shut.
    for (const objective of ids) {
      if (!topic.questions.some((question) => question.objective === objective)) {
        context.addIssue({ code: 'custom', path: ['objectives'], message: `objective ${objective} is checked by no question` });
      }
    }
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
      // Without a list, the learning objectives are one objective, which every question checks.
      const objectives = topic.objectives ?? [{ id: '1', text: topic.learning_objectives }];
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
  for (const topic of topics.values()) checkRequires(topic, topics, courseFiles.get(topic.courseId)!);
  return { courses, topics };
}

/** A topic's prerequisites: topics of its own course, without a cycle (a topic that could never be started). */
function checkRequires(topic: Topic, topics: Map<number, Topic>, file: string): void {
  for (const required of topic.requires) {
    const found = topics.get(required);
    if (!found || found.courseId !== topic.courseId) throw new CatalogError(`${file}: topic ${topic.id} requires topic ${required}, which its course does not have`);
  }
  const path: number[] = [];
  const visit = (id: number) => {
    if (path.includes(id)) throw new CatalogError(`${file}: topics require each other in a cycle (${[...path.slice(path.indexOf(id)), id].join(' → ')})`);
    path.push(id);
    for (const required of topics.get(id)!.requires) visit(required);
    path.pop();
  };
  visit(topic.id);
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
