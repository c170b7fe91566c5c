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
