/**
 * The characters an XML 1.0 document can carry, and text made safe to write between two tags.
 *
 * XML 1.0's Char production allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF; anything else
 * (the other C0 controls, U+FFFE, U+FFFF, a surrogate that is not half of a pair) makes the whole document
 * unreadable: botocore refuses it (ResponseParserError), so one such character in one stored Description would
 * break every Describe listing it. Input holding one is refused (QueryParser); output replaces any that still
 * reach it (a value an older build stored, a bad id echoed in an error message) with U+FFFD.
 */

// Per UTF-16 code unit: a surrogate pair is two units, so surrogates need the two lookaround branches, which
// match a high surrogate without its low half and a low surrogate without its high half.
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The index (in UTF-16 code units) of the first character XML 1.0 cannot carry, or -1 when there is none. */
export function invalidXmlCharIndex(text: string): number {
  const found = NOT_XML_CHAR.exec(text);
  return found ? found.index : -1;
}

/** A character named for a message, never the raw character: `U+0001`. */
export function describeChar(text: string, index: number): string {
  const code = text.codePointAt(index) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

// What writing text needs: the markup characters; CR, which a parser would read as LF (XML normalises line ends),
// so it is written as a character reference and reads back as CR; and the characters XML cannot carry. Tab and LF
// are written as they are: between tags a parser keeps them (only attribute values are whitespace-normalised, and
// no value is ever written into an attribute). The test admits any surrogate, pairs too: rare enough (emoji) that
// the full replace below, which leaves pairs alone, costs nothing worth a finer test.
const NEEDS_WORK = /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const WORK =
  /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&apos;'],
  ['\r', '&#13;'],
]);
const escapeOrReplace = (c: string) => ESCAPES.get(c) ?? '\uFFFD';

/** Text to write between two tags: markup escaped, CR as `&#13;`, characters XML cannot carry as U+FFFD. */
export function escapeXmlText(text: string): string {
  // Most values (ids, statuses, numbers) need nothing: one test is cheaper than a replace that finds nothing.
  return NEEDS_WORK.test(text) ? text.replace(WORK, escapeOrReplace) : text;
}
