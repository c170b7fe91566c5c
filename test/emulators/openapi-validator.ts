// Validates request bodies against MISP's own OpenAPI spec (shared/reference/misp-openapi.yaml) with ajv.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

const SPEC = new URL('../../../shared/reference/misp-openapi.yaml', import.meta.url);
const DESCRIBE_TYPES = new URL('../../../shared/fixtures/misp/describeTypes-response.json', import.meta.url);

// ajv-formats is CommonJS with a default export; under ESM the function may sit on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export type SchemaName = 'EventNoId' | 'AttributeNoId' | 'Object' | 'TagNoId';

export class OpenApiValidator {
  readonly #validators = new Map<SchemaName, ValidateFunction>();

  constructor() {
    const spec = parseYaml(readFileSync(SPEC, 'utf8')) as { components: { schemas: Record<string, { enum?: string[] }> } };
    // The spec's AttributeType enum lags behind the server: a real MISP's describeTypes lists types it lacks
    // (`integer`, used by the official abuseipdb template, `uuid`, `onion-address`…). The server's own list wins.
    const described = JSON.parse(readFileSync(DESCRIBE_TYPES, 'utf8')) as { result: { types: string[] } };
    const attributeType = spec.components.schemas['AttributeType'];
    if (attributeType?.enum !== undefined) attributeType.enum = [...new Set([...attributeType.enum, ...described.result.types])];
    // Leniency where MISP itself is lenient: the spec types enum ids and numbers as strings ("distribution": "5"),
    // while MISP accepts numbers too (misp.md §2). Coercion only changes the copy being validated.
    const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true, validateFormats: true });
    addFormats(ajv);
    ajv.addSchema({ ...spec, $id: 'misp' });
    for (const name of ['EventNoId', 'AttributeNoId', 'Object', 'TagNoId'] as const) {
      this.#validators.set(name, ajv.compile({ $ref: `misp#/components/schemas/${name}` }));
    }
  }

  /** Undefined when `value` conforms to the named schema, else a one-line description of what does not. */
  check(name: SchemaName, value: unknown): string | undefined {
    const validate = this.#validators.get(name)!;
    if (validate(structuredClone(value))) return undefined;
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`).join('; ');
  }
}
