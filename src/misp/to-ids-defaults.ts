// What MISP gives an attribute that arrives without `to_ids` (describeTypes' sane_defaults), for the types this project
// sends. An edit may leave `to_ids` out only where it equals this: MISP keeps the value of an attribute it holds (an
// analyst's edit), and gives this one to an attribute it does not hold any more (deleted for good, then seen again).

const IDS_BY_DEFAULT: Readonly<Record<string, boolean>> = {
  'email-src': true,
  filename: true,
  'hassh-md5': true,
  'ip-dst': true,
  'ip-src': true,
  md5: true,
  sha256: true,
  uri: true,
  url: true,
  boolean: false,
  datetime: false,
  integer: false,
  link: false,
  port: false,
  'size-in-bytes': false,
  text: false,
  'user-agent': false,
  vulnerability: false,
};

/** Whether an edit may leave `to_ids` out: MISP would give an attribute of `type` the same one. Unknown type: no. */
export function isDefaultToIds(type: string, toIds: boolean): boolean {
  return Object.hasOwn(IDS_BY_DEFAULT, type) && IDS_BY_DEFAULT[type] === toIds;
}

/** The types listed (for the test that checks them against MISP's describeTypes). */
export const TYPES_WITH_KNOWN_DEFAULT: readonly string[] = Object.keys(IDS_BY_DEFAULT);
