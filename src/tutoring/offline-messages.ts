import { messageCatalogs } from '../language.js';

// The offline tutor's words, one catalog per language it speaks. A session in a language it lacks is taught in
// English, and its opening says so.

const en = {
  greeting: 'Hi! I\'m your tutor for "{{topic}}" in {{course}}.',
  background_completed: 'You have already completed {{topics}}, so we can build on that.',
  background_new: 'We will take it step by step, at a {{level}} level.',
  struggles: '{{topics}} gave you some trouble before, so ask whenever something is unclear.',
  language_fallback: "I cannot teach in {{language}} yet, so we will go on in English.",
  hint: "Here's a hint: {{hint}}",
  hint_none: 'Think about what we just covered.',
  question: 'Great question!',
  correct: 'Correct! Yes, "{{expected}}" is right.',
  wrong: 'Not quite. The answer I was looking for is "{{expected}}".',
  congratulations: 'That makes {{correct}} correct of your last {{graded}} answers: you have completed "{{topic}}". Well done!',
  first_question: "Let's check your understanding. {{question}}",
  next_question: 'Next question: {{question}}',
  back_to_question: 'Now, back to the question: {{question}}',
  level_beginner: 'beginner',
  level_intermediate: 'intermediate',
  level_advanced: 'advanced',
};

type Catalog = Record<keyof typeof en, string>;

const ptBR: Catalog = {
  greeting: 'Olá! Eu sou seu tutor de "{{topic}}" em {{course}}.',
  background_completed: 'Você já concluiu {{topics}}, então podemos partir daí.',
  background_new: 'Vamos passo a passo, em nível {{level}}.',
  struggles: '{{topics}} deu um pouco de trabalho antes, então pergunte sempre que algo não estiver claro.',
  language_fallback: 'Ainda não sei ensinar em {{language}}, então seguimos em inglês.',
  hint: 'Uma dica: {{hint}}',
  hint_none: 'Pense no que acabamos de ver.',
  question: 'Ótima pergunta!',
  correct: 'Correto! Sim, "{{expected}}" está certo.',
  wrong: 'Não exatamente. A resposta que eu esperava era "{{expected}}".',
  congratulations: 'São {{correct}} acertos nas suas últimas {{graded}} respostas: você concluiu "{{topic}}". Muito bem!',
  first_question: 'Vamos verificar o que você entendeu. {{question}}',
  next_question: 'Próxima pergunta: {{question}}',
  back_to_question: 'Agora, de volta à pergunta: {{question}}',
  level_beginner: 'iniciante',
  level_intermediate: 'intermediário',
  level_advanced: 'avançado',
};

const es: Catalog = {
  greeting: '¡Hola! Soy tu tutor de "{{topic}}" en {{course}}.',
  background_completed: 'Ya completaste {{topics}}, así que podemos partir de ahí.',
  background_new: 'Iremos paso a paso, en nivel {{level}}.',
  struggles: '{{topics}} te costó un poco antes, así que pregunta siempre que algo no esté claro.',
  language_fallback: 'Todavía no sé enseñar en {{language}}, así que seguiremos en inglés.',
  hint: 'Una pista: {{hint}}',
  hint_none: 'Piensa en lo que acabamos de ver.',
  question: '¡Buena pregunta!',
  correct: '¡Correcto! Sí, "{{expected}}" es correcto.',
  wrong: 'No exactamente. La respuesta que esperaba era "{{expected}}".',
  congratulations: 'Son {{correct}} aciertos en tus últimas {{graded}} respuestas: completaste "{{topic}}". ¡Muy bien!',
  first_question: 'Veamos qué entendiste. {{question}}',
  next_question: 'Siguiente pregunta: {{question}}',
  back_to_question: 'Ahora, volvamos a la pregunta: {{question}}',
  level_beginner: 'principiante',
  level_intermediate: 'intermedio',
  level_advanced: 'avanzado',
};

/** The offline tutor's catalogs: `messagesFor(language)` gives its words, `catalogFor` whether it speaks it. */
export const offlineMessages = messageCatalogs<keyof typeof en>({ en, 'pt-BR': ptBR, es });
