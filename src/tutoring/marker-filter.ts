/**
 * Removes the completion marker from text that arrives in pieces, as a streamed reply does: a piece that
 * might be the start of the marker is held back until the next piece shows whether it is. The pieces it
 * returns, joined, equal the whole text with every marker removed, however the text was split.
 */
export function createMarkerFilter(marker: string) {
  let held = '';
  let seen = false;
  return {
    push(piece: string): string {
      held += piece;
      let out = '';
      for (let at = held.indexOf(marker); at >= 0; at = held.indexOf(marker)) {
        out += held.slice(0, at);
        held = held.slice(at + marker.length);
        seen = true;
      }
      let keep = Math.min(held.length, marker.length - 1);
      while (keep > 0 && !marker.startsWith(held.slice(held.length - keep))) keep--;
      out += held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      return out;
    },
    flush(): string {
      const out = held;
      held = '';
      return out;
    },
    /** Whether the marker occurred in the text so far. */
    get seen(): boolean {
      return seen;
    },
  };
}

/** Removes every occurrence of the marker from a whole text. */
export function stripMarker(text: string, marker: string): string {
  const filter = createMarkerFilter(marker);
  return filter.push(text) + filter.flush();
}

/** Makes a marker inside learner text inert before it reaches the model, which might repeat it. */
export function neutralizeMarker(text: string, marker: string): string {
  return text.split(marker).join('[marker removed]');
}
