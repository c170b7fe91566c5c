// When MISP holds two attribute values as the same one. MISP refuses a second standalone attribute of an event
// with the same type, category and value ("A similar attribute already exists for this event"), and it compares
// values after its own clean-up and in MySQL's utf8mb3_unicode_ci collation: case, accents and trailing blanks do
// not count, and characters outside the Basic Multilingual Plane are all stored as "?". Attacker data is full of
// such near-twins (`/HNAP1/` and `/hnap1/`, `Mozilla/5.0 ` and `Mozilla/5.0`); each must become one attribute.
// An event edit drops a refused attribute silently (only MISP's audit log says so), so a twin must never be sent.

/** PHP's trim() characters: what MISP strips from both ends of every value before it saves it. */
const PHP_TRIM = /^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g;
/** Printable ASCII: nothing but case can make two such values collate equal. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// ComplexTypeTool::refangValue: MISP turns defanged notation back into the real thing for these types.
const REFANG_HOST_TYPES = new Set(['url', 'link', 'ip-src', 'ip-dst', 'domain', 'hostname', 'email', 'email-src', 'email-dst']);
const REFANG_SCHEME_TYPES = new Set(['url', 'link']);

/** The value as MISP stores it, as far as equality is concerned: trimmed like PHP does. */
export function phpTrim(value: string): string {
  // Nearly every value has nothing to trim: no regex then.
  if (value.length > 0 && value.charCodeAt(0) > 0x20 && value.charCodeAt(value.length - 1) > 0x20) return value;
  return value.replace(PHP_TRIM, '');
}

function refanged(type: string, value: string): string {
  let out = value;
  if (REFANG_SCHEME_TYPES.has(type)) out = out.replace(/^(hxxp|hxtp|htxp|meow|h\[tt\]p)/i, 'http').replace(/\[hxxp:\/\/\]/g, 'http://').replace(/\[:\]/g, ':');
  if (REFANG_HOST_TYPES.has(type)) out = out.replace(/\[\.\]|\[dot\]|\(dot\)/g, '.');
  return out;
}

/**
 * A key equal for two values exactly when MISP would call them the same attribute value of `type` (or, for exotic
 * Unicode, a little more often: merging two attacker strings MISP would keep apart loses nothing but a twin's
 * spelling, while the opposite would lose its hits).
 */
export function mispValueKey(type: string, value: string): string {
  const stored = refanged(type, phpTrim(value));
  // The common case (IPs, hashes, ASCII URLs and paths) stays cheap: it runs for every indicator of every document.
  if (PRINTABLE_ASCII.test(stored)) return stored.toLowerCase().trimEnd();
  return (
    stored
      // 4-byte UTF-8 (astral) characters: MISP's utf8mb3 columns store "?" instead.
      .replace(/[\u{10000}-\u{10FFFF}]/gu, '?')
      .normalize('NFKD')
      // Accents (combining marks) and characters the collation ignores (controls, zero-width formatting).
      .replace(/[\p{M}\p{Cc}\p{Cf}]/gu, '')
      // Upper then lower: "ß" becomes "ss", as the collation has it.
      .toUpperCase()
      .toLowerCase()
      // PAD SPACE: trailing blanks do not count.
      .trimEnd()
  );
}
