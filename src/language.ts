import { createInstance, type TFunction } from 'i18next';

/**
 * A language tag (BCP 47) in its canonical form ("pt-br" → "pt-BR"), or undefined when it is not one. Its language
 * must be an ISO 639 code of 2 or 3 letters: BCP 47's syntax also takes words of 5 to 8 letters ("english"), which
 * name no language.
 */
export function canonicalLanguage(tag: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim());
    return canonical && /^[a-z]{2,3}(-|$)/.test(canonical) ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the tag is English, of any region: the language the seed's prompts and templates were written in. */
export function isEnglish(tag: string): boolean {
  return /^en(-|$)/i.test(tag);
}

/** The language's name in English, for the model ("Portuguese (Brazil)"); the tag itself when Node.js has no name. */
export function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** Messages in a few languages, each catalog under its language tag, English (`en`) the fallback. */
export interface MessageCatalogs<Key extends string> {
  /** The catalog's tag for a language: the same tag, else one of the same primary language (pt-PT → pt-BR). */
  catalogFor(language: string | undefined): string | undefined;
  /** The messages in that catalog's language, or English. */
  messagesFor(language: string | undefined): TFunction<'translation', Key>;
}

export function messageCatalogs<Key extends string>(catalogs: Record<string, Record<Key, string>>): MessageCatalogs<Key> {
  const i18n = createInstance();
  // In memory, so initialised at once. The texts are plain (rendered by Preact, or sent as plain text): no escaping;
  // and no console notice from the library, which would mix with the service's log and the terminal chat.
  void i18n.init({
    resources: Object.fromEntries(Object.entries(catalogs).map(([tag, messages]) => [tag, { translation: messages }])),
    fallbackLng: 'en',
    initAsync: false,
    interpolation: { escapeValue: false },
    showSupportNotice: false,
  });
  const tags = Object.keys(catalogs);
  const primary = (tag: string) => tag.split('-')[0]!.toLowerCase();
  const catalogFor = (language: string | undefined) =>
    language === undefined ? undefined : (tags.find((tag) => tag.toLowerCase() === language.toLowerCase()) ?? tags.find((tag) => primary(tag) === primary(language)));
  return { catalogFor, messagesFor: (language) => i18n.getFixedT(catalogFor(language) ?? 'en') as TFunction<'translation', Key> };
}
