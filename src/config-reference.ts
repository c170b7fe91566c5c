// Renders the settings reference (docs/configuration.md) and .env.example from the config schema, so they cannot drift.
import { SETTINGS } from './config.js';

export function renderConfigReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config.ts by `node --import tsx scripts/gen-config-docs.ts`; a test fails when it is stale. -->',
    '',
    'Every setting is an environment variable, or a `KEY=value` line in `.env` (in the working directory, or',
    '`--env-file`). Precedence: command-line flag > environment > `.env` > default. Every variable that is set is',
    'validated before any work starts; problems are reported one per line, naming the variable, the value given and',
    'what is accepted (secrets, and passwords written into URLs, as `***`). Switches (on/off settings) accept',
    '`true`/`false`, `1`/`0`, `yes`/`no` and `on`/`off`, in any case.',
    'The original tool\'s names `ELASTICSEARCH_PWD` and `ENRICHMENT_CACHE_DURATION` are still accepted, with a',
    'deprecation warning.',
  ];
  let group = '';
  for (const setting of SETTINGS) {
    if (setting.group !== group) {
      group = setting.group;
      lines.push('', `## ${group}`, '', '| variable | default | description |', '|---|---|---|');
    }
    const fallback = setting.default === undefined ? '—' : `\`${setting.default}\``;
    lines.push(`| \`${setting.name}\`${setting.secret ? ' (secret)' : ''} | ${fallback} | ${setting.description.replace(/\|/g, '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderEnvExample(): string {
  const lines = ['# tpot2misp settings: copy to .env and edit. Every setting, with its default; see docs/configuration.md.'];
  let group = '';
  for (const setting of SETTINGS) {
    if (setting.group !== group) {
      group = setting.group;
      lines.push('', `# ---- ${group} ----`);
    }
    lines.push(`# ${setting.description}`);
    lines.push(setting.default === undefined ? `# ${setting.name}=` : `${setting.name}=${setting.default}`);
  }
  return `${lines.join('\n')}\n`;
}
