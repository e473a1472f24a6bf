/**
 * The service's own words to the model travel between these tags: its note on each turn and the system prompt.
 * A model induced to repeat its input repeats them too, and the reply filter removes everything between them.
 */
export const noteOpen = '[[service-note]]';
export const noteClose = '[[/service-note]]';

/** Text the learner must never see, marked so that the reply filter can recognise it. */
export function asServiceNote(text: string): string {
  return `${noteOpen}\n${text}\n${noteClose}`;
}

/**
 * Removes from a reply that arrives in pieces, as a streamed one does, every completion marker and every service
 * note (from its opening tag to its closing one, or to the end when it is not closed). A piece that might be the
 * start of a marker or a tag is held back until the next piece shows whether it is: at most a tag's length. The
 * pieces it returns, joined, are the same whole text filtered, however the text was split. NUL characters, which
 * a database text cannot hold, are dropped too.
 */
export function createReplyFilter(marker: string) {
  let held = '';
  let inNote = false;
  let markerSeen = false;
  const longest = Math.max(marker.length, noteOpen.length, noteClose.length);

  /** Takes from `held` what can be decided, and returns what of it the learner may see. */
  function drain(final: boolean): string {
    let out = '';
    for (;;) {
      if (inNote) {
        const end = held.indexOf(noteClose);
        if (end < 0) {
          // Everything inside a note is dropped; only what could begin its closing tag is kept.
          held = final ? '' : held.slice(Math.max(0, held.length - (noteClose.length - 1)));
          return out;
        }
        held = held.slice(end + noteClose.length);
        inNote = false;
        continue;
      }
      const found = [
        { at: held.indexOf(noteOpen), length: noteOpen.length, opens: true },
        { at: held.indexOf(noteClose), length: noteClose.length, opens: false },
        { at: held.indexOf(marker), length: marker.length, opens: false, marker: true },
      ]
        .filter((hit) => hit.at >= 0)
        .sort((a, b) => a.at - b.at)[0];
      if (found) {
        out += held.slice(0, found.at);
        held = held.slice(found.at + found.length);
        if (found.opens) inNote = true;
        if ('marker' in found) markerSeen = true;
        continue;
      }
      const keep = final ? 0 : heldBackLength(held, [marker, noteOpen, noteClose], longest);
      out += held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      return out;
    }
  }

  return {
    push(piece: string): string {
      held += piece.replaceAll('\u0000', '');
      return drain(false);
    },
    flush(): string {
      return drain(true);
    },
    /** Whether the completion marker occurred in the text so far. */
    get markerSeen(): boolean {
      return markerSeen;
    },
  };
}

/** How many characters at the end of `text` could be the beginning of one of `tokens`. */
function heldBackLength(text: string, tokens: string[], longest: number): number {
  for (let keep = Math.min(text.length, longest - 1); keep > 0; keep--) {
    const tail = text.slice(text.length - keep);
    if (tokens.some((token) => token.startsWith(tail))) return keep;
  }
  return 0;
}

/**
 * A whole text, filtered: for anything a model writes that the learner may see or the service stores (a question it
 * asks, a grade's feedback), as for its replies.
 */
export function filterReply(text: string, marker: string): string {
  const filter = createReplyFilter(marker);
  return filter.push(text) + filter.flush();
}

/**
 * Makes learner text inert before it reaches a model (the tutor and the grader): a completion marker or a note's
 * tag in it could otherwise complete the topic, or hide or reveal the service's note when the model repeats it.
 */
export function neutralizeLearnerText(text: string, marker: string): string {
  return text.split(marker).join('[marker removed]').split(noteOpen).join('[note removed]').split(noteClose).join('[note removed]');
}
