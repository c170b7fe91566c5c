// The MISP core-format JSON shapes this project writes (MISP REST bodies and MISP feed files).

export interface MispTag {
  readonly name: string;
  readonly colour?: string;
}

export interface MispAttribute {
  readonly uuid: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly to_ids: boolean;
  readonly comment: string;
  /** MISP enum ids are sent as strings, as MISP's OpenAPI spec describes them. */
  readonly distribution: string;
  readonly disable_correlation: boolean;
  readonly first_seen?: string;
  readonly last_seen?: string;
  /** Unix seconds as a string (feed only; the REST sink lets MISP stamp its own time). */
  readonly timestamp?: string;
  readonly deleted?: boolean;
  readonly object_relation?: string;
  readonly Tag?: readonly MispTag[];
}

/** A link from an object to another object or attribute of the same event. */
export interface MispObjectReference {
  readonly uuid: string;
  readonly object_uuid: string;
  readonly referenced_uuid: string;
  readonly relationship_type: string;
  readonly comment?: string;
}

export interface MispObject {
  readonly uuid: string;
  readonly name: string;
  readonly 'meta-category': string;
  readonly description: string;
  readonly template_uuid: string;
  readonly template_version: string;
  readonly comment: string;
  readonly distribution: string;
  readonly first_seen?: string;
  readonly last_seen?: string;
  readonly timestamp?: string;
  readonly deleted?: boolean;
  readonly Attribute: readonly MispAttribute[];
  readonly ObjectReference?: readonly MispObjectReference[];
}

/** The event-level fields: what `/events/add` receives and what the feed's event header holds. */
export interface MispEventHeader {
  readonly uuid: string;
  readonly info: string;
  readonly date: string;
  readonly distribution: string;
  readonly threat_level_id: string;
  readonly analysis: string;
  readonly published: boolean;
  readonly Tag: readonly MispTag[];
}

/** The organisation a feed names as creator (`Orgc`). */
export interface MispOrg {
  readonly name: string;
  readonly uuid: string;
}
