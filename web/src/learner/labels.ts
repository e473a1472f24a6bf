import { messageCatalogs } from '../../../src/language.js';

// The chat's own words, in the session's language: English, Brazilian Portuguese and Spanish, as the offline tutor
// speaks them; another language gets English.

const en = {
  your_learning: 'Your learning',
  conversation: 'Conversation',
  tutor: 'Tutor',
  you: 'You',
  writing: 'The tutor is writing…',
  completed: 'Topic completed!',
  mastered: 'You have mastered “{{title}}”.',
  another_topic: 'Choose another topic',
  ended: 'This session has ended.',
  back: 'Back to your learning',
  your_message: 'Your message',
  enter_sends: 'Enter sends; Shift+Enter starts a new line.',
  send: 'Send',
  ask_hint: 'Ask for a hint',
  hint_message: 'Can I have a hint?',
  end_session: 'End session',
  confirm_end: 'End this session? You can start the topic again later.',
  progress: 'Progress',
  questions_asked: 'Questions asked',
  answers_graded: 'Answers graded',
  correct_answers: 'Correct answers',
  rule: 'The topic is complete at {{needed}} correct of your last {{window}} answers.',
  rule_mastery: 'The topic is complete at {{needed}} correct of your last {{window}} answers, with every objective at {{threshold}} %.',
  none_graded: 'No answer graded yet.',
  standing_done: 'Done: {{correct}} correct of your last {{graded}}.',
  standing_now: 'Now: {{correct}} correct of your last {{graded}}.',
  objectives: 'Objectives',
  mastery: '{{percent}} % mastered',
};

type Labels = Record<keyof typeof en, string>;

const ptBR: Labels = {
  your_learning: 'Seus estudos',
  conversation: 'Conversa',
  tutor: 'Tutor',
  you: 'Você',
  writing: 'O tutor está escrevendo…',
  completed: 'Tópico concluído!',
  mastered: 'Você domina “{{title}}”.',
  another_topic: 'Escolher outro tópico',
  ended: 'Esta sessão terminou.',
  back: 'Voltar aos seus estudos',
  your_message: 'Sua mensagem',
  enter_sends: 'Enter envia; Shift+Enter começa uma nova linha.',
  send: 'Enviar',
  ask_hint: 'Pedir uma dica',
  hint_message: 'Pode me dar uma dica?',
  end_session: 'Encerrar sessão',
  confirm_end: 'Encerrar esta sessão? Você pode começar o tópico de novo depois.',
  progress: 'Progresso',
  questions_asked: 'Perguntas feitas',
  answers_graded: 'Respostas avaliadas',
  correct_answers: 'Respostas corretas',
  rule: 'O tópico é concluído com {{needed}} acertos nas suas últimas {{window}} respostas.',
  rule_mastery: 'O tópico é concluído com {{needed}} acertos nas suas últimas {{window}} respostas e cada objetivo em {{threshold}} %.',
  none_graded: 'Nenhuma resposta avaliada ainda.',
  standing_done: 'Concluído: {{correct}} acertos nas suas últimas {{graded}}.',
  standing_now: 'Agora: {{correct}} acertos nas suas últimas {{graded}}.',
  objectives: 'Objetivos',
  mastery: '{{percent}} % dominado',
};

const es: Labels = {
  your_learning: 'Tu aprendizaje',
  conversation: 'Conversación',
  tutor: 'Tutor',
  you: 'Tú',
  writing: 'El tutor está escribiendo…',
  completed: '¡Tema completado!',
  mastered: 'Dominas “{{title}}”.',
  another_topic: 'Elegir otro tema',
  ended: 'Esta sesión terminó.',
  back: 'Volver a tu aprendizaje',
  your_message: 'Tu mensaje',
  enter_sends: 'Enter envía; Shift+Enter empieza una nueva línea.',
  send: 'Enviar',
  ask_hint: 'Pedir una pista',
  hint_message: '¿Me das una pista?',
  end_session: 'Terminar sesión',
  confirm_end: '¿Terminar esta sesión? Puedes empezar el tema de nuevo más tarde.',
  progress: 'Progreso',
  questions_asked: 'Preguntas hechas',
  answers_graded: 'Respuestas calificadas',
  correct_answers: 'Respuestas correctas',
  rule: 'El tema se completa con {{needed}} aciertos en tus últimas {{window}} respuestas.',
  rule_mastery: 'El tema se completa con {{needed}} aciertos en tus últimas {{window}} respuestas y cada objetivo en {{threshold}} %.',
  none_graded: 'Ninguna respuesta calificada todavía.',
  standing_done: 'Completado: {{correct}} aciertos en tus últimas {{graded}}.',
  standing_now: 'Ahora: {{correct}} aciertos en tus últimas {{graded}}.',
  objectives: 'Objetivos',
  mastery: '{{percent}} % dominado',
};

const labels = messageCatalogs<keyof typeof en>({ en, 'pt-BR': ptBR, es });

/** The chat's labels in the session's language (English until it is known). */
export const labelsFor = (language: string | undefined) => labels.messagesFor(language);
