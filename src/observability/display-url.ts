// A URL fit to show a person (summary line, report, `check`, error messages): without the password that may be
// written into it (https://user:password@host/), which would otherwise end up in shared reports and terminals.

/** `url` with any password replaced by `***`; text that is no URL comes back unchanged. */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.href;
}

/**
 * `value` with the password of the URL it is replaced by `***`: displayUrl for what parses as a URL, and for what does
 * not (a bad setting or an error quotes a malformed one precisely) everything between `user:` and the last `@` of the
 * authority.
 */
export function maskUrlPassword(value: string): string {
  const masked = displayUrl(value);
  if (masked !== value) return masked;
  return value.replace(/^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#:@]*:)[^/?#]*@/, '$1***@');
}

/** Whatever looks like a URL in free text (an error message): a scheme, `://`, then up to the next space or quote. */
const URL_IN_TEXT = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;

/** Free text (an error message kept in a report) with the password of every URL in it replaced by `***`. */
export function displayUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, maskUrlPassword);
}
