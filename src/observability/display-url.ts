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

/** Whatever looks like a URL in free text (an error message): a scheme, `://`, then up to the next space or quote. */
const URL_IN_TEXT = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;

/**
 * Free text (an error message kept in a report) with the password of every URL in it replaced by `***`. A URL that
 * does not parse (an error may quote a malformed one precisely) loses everything between `user:` and its last `@`.
 */
export function displayUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => {
    const masked = displayUrl(url);
    if (masked !== url) return masked;
    return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#:@]*:)[^/?#]*@/, '$1***@');
  });
}
