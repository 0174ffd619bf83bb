/**
 * Text for a terminal from strings an adversary may control. Every field of a
 * bundle or of the evidence (case, examiner, notes, file names, certificate
 * subjects, custody entries, record values) can hold bytes a terminal obeys: ESC
 * sequences that move the cursor, erase or conceal a line (and so overwrite a
 * verdict), a carriage return that rewrites the line from its start, C1 controls
 * some terminals take as CSI, bidi overrides that show text in another order
 * (Unicode TR #9; CVE-2021-42574, "Trojan Source"), zero-width and other
 * invisible format characters that make two names look the same.
 *
 * Each such character is shown as a visible escape instead: `\n`, `\r`, `\t`, and
 * otherwise `\uXXXX` in lowercase hex (`\u001b`, `\u0085`, `\u202e`; outside the
 * BMP as its UTF-16 surrogate pair, `\udb40\udc01`). These are also JSON string
 * escapes, so JSON run through {@link terminalSafeOutput} stays valid JSON that
 * parses to exactly the same values: only how a character is spelt changes, never
 * which character it is.
 *
 * The escape is for reading, not for reversing: a backslash is not doubled (Windows
 * paths stay readable), so a name that holds the six characters `\u001b` looks like
 * one that holds ESC. The exact value is always in the bundle and in `--json`.
 */

/**
 * Characters a terminal must not receive raw from untrusted text:
 * Cc: C0 controls U+0000-U+001F, DEL U+007F, C1 controls U+0080-U+009F;
 * Cf: format characters, among them the bidi embeddings and overrides U+202A-U+202E,
 *   the isolates U+2066-U+2069, the marks U+200E/U+200F/U+061C, zero-width U+200B-U+200D,
 *   word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, interlinear annotation U+FFF9-U+FFFB,
 *   tag characters U+E0000-U+E007F;
 * Zl/Zp: the line and paragraph separators U+2028/U+2029 (some terminals and editors break lines on them);
 * Cs: a lone surrogate (not a character at all; written out as U+FFFD it would hide what was there).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu
/**
 * Printable ASCII holds none of those: text that has nothing else (nearly every path and
 * every piece of trawl's own JSON) is returned as it is, without the Unicode-class scan,
 * which cost more than listing the volume in `image ls`.
 */
const OUTSIDE_PRINTABLE_ASCII = /[^\x20-\x7e]/
const OUTSIDE_PRINTABLE_ASCII_OR_LAYOUT = /[^\x20-\x7e\n\t]/

const SHORT: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

function escapeCharacter(character: string): string {
  const short = SHORT[character]
  if (short) return short
  let escaped = ''
  for (let i = 0; i < character.length; i++) escaped += `\\u${character.charCodeAt(i).toString(16).padStart(4, '0')}`
  return escaped
}

/** One untrusted string made safe to show: every control, format and separator character escaped, newlines and tabs too. */
export function terminalSafe(text: string): string {
  if (!OUTSIDE_PRINTABLE_ASCII.test(text)) return text
  return text.replace(UNSAFE, escapeCharacter)
}

/**
 * Text trawl itself has laid out (lines, fls-style tab columns), at the point it is
 * written: everything unsafe is escaped except the newline and tab that make the
 * layout. Untrusted fields inside it must already have passed {@link terminalSafe}
 * (or {@link terminalSafeFields}), so that a newline in a name cannot start a line.
 */
export function terminalSafeOutput(text: string): string {
  if (!OUTSIDE_PRINTABLE_ASCII_OR_LAYOUT.test(text)) return text
  return text.replace(UNSAFE, (character) => (character === '\n' || character === '\t' ? character : escapeCharacter(character)))
}

/**
 * A copy of a result for a human-readable renderer, every string in it (nested in
 * plain objects and arrays) passed through {@link terminalSafe}. Other objects
 * (Buffers, Dates, class instances) are kept as they are.
 */
export function terminalSafeFields<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T
  if (Array.isArray(value)) return value.map((item) => terminalSafeFields(item)) as T
  if (value !== null && typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value)
    if (prototype !== Object.prototype && prototype !== null) return value
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) copy[key] = terminalSafeFields(item)
    return copy as T
  }
  return value
}
