// Regenerates docs/configuration.md and .env.example from the config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigReference, renderEnvExample } from '../src/config-reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigReference());
writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
console.log('wrote docs/configuration.md and .env.example');
