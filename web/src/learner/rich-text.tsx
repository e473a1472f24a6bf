// Inline `code` and **bold**, as tutors (models and the offline tutor alike) write them.
const marked = /(`[^`\n]+`|\*\*[^*\n]+\*\*)/;

/** A tutor's text with its inline code and bold shown as such; the rest as written (nothing is read as HTML). */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {text.split(marked).map((part, index) =>
        index % 2 === 0 ? (
          part
        ) : part.startsWith('`') ? (
          <code key={index}>{part.slice(1, -1)}</code>
        ) : (
          <strong key={index}>{part.slice(2, -2)}</strong>
        ),
      )}
    </>
  );
}
