// Personal data a learner may type, found in text so that no model receives it: e-mail addresses, phone numbers,
// payment card numbers, identity numbers (US SSN, Brazilian CPF) and street addresses where their shape is clear.
// The patterns favour precision: an answer such as "42", "3.14" or "x = 10" is never taken for personal data.

const email = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu;
// A card number: 13 to 19 digits, in groups separated by spaces or dashes, that passes the Luhn check.
const cardCandidate = /\b\d(?:[ -]?\d){12,18}\b/g;
// US SSN (123-45-6789) and Brazilian CPF (123.456.789-09).
const identity = /\b\d{3}-\d{2}-\d{4}\b|\b\d{3}\.\d{3}\.\d{3}-\d{2}\b/g;
// A phone number: with a +country code, digits in groups; or a local number in a shape only phone numbers take:
// (555) 123-4567, 415-555-2671, 415 555 2671, a Brazilian mobile 98765-4321 or 11 98765 4321, a Brazilian landline
// with its area code, 021 3333-4444. Dates, ranges such as 1000-2000,
// versions and lists of numbers are left alone.
const phone = /\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,5}|\(\d{2,4}\)\s?\d{3,5}[\s-]\d{4}\b|\b\d{3}([-\s])\d{3}\1\d{4}\b|\b(?:0?\d{2}\s)?9\d{4}[-\s]\d{4}\b|\b0?\d{2}\s\d{4}-\d{4}\b/g;
// A street address: a house number and a street word (English), or a street word, a name and a number (Portuguese).
const streetEn = /\b\d{1,5}\s+(?:[\p{Lu}][\p{L}'-]*\s+){1,4}(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl)\b\.?/giu;
const streetPt = /\b(?:rua|avenida|av\.|travessa|alameda|praça|estrada|rodovia)\s+(?:[\p{L}'.-]+,?\s+){1,5}?(?:n[º°o]\.?\s*)?\d{1,5}\b/giu;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const digitCount = (text: string) => text.replace(/\D/g, '').length;

/** The text with its personal data replaced by labels such as [email] and [phone]; `found` counts what was replaced. */
export function redactPersonalData(text: string): { text: string; found: number } {
  let found = 0;
  const replace = (pattern: RegExp, label: string, accept: (match: string) => boolean = () => true) => (input: string) =>
    input.replace(pattern, (match) => {
      if (!accept(match)) return match;
      found++;
      return `[${label}]`;
    });
  const steps = [
    replace(email, 'email'),
    replace(cardCandidate, 'card number', (match) => luhn(match.replace(/\D/g, ''))),
    replace(identity, 'identity number'),
    replace(phone, 'phone', (match) => digitCount(match) >= 8 && digitCount(match) <= 15),
    replace(streetEn, 'address'),
    replace(streetPt, 'address'),
  ];
  return { text: steps.reduce((current, step) => step(current), text), found };
}
