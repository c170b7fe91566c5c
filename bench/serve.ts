// `npm run bench:serve`: an Elasticsearch emulator loaded with a generated T-Pot data set, a MISP emulator and
// an emulator of the enrichment APIs, on loopback ports, for the benchmark or any other tool (PyMISP, curl, a
// real tpot2misp with enrichment on).
// Prints one JSON line with their URLs and credentials; then answers `stats` on stdin with a JSON line.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startEnrichmentEmulator } from '../test/emulators/enrichment-emulator.js';
import { startEsEmulator } from '../test/emulators/es-emulator.js';
import { startMispEmulator } from '../test/emulators/misp-emulator.js';
import { tpotDoc, type GenerateOptions } from '../src/simulate/synthetic-tpot.js';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '200000' },
    'unique-ips': { type: 'string', default: '20000' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'es-port': { type: 'string', default: '0' },
    'misp-port': { type: 'string', default: '0' },
    // How long the MISP emulator takes to answer each write (0: at once); a real MISP takes seconds per batch.
    'misp-write-ms': { type: 'string', default: '0' },
  },
});

const set: GenerateOptions = { docs: Number(values.docs), uniqueIps: Number(values['unique-ips']), days: Number(values.days), seed: Number(values.seed) };
const es = await startEsEmulator({ generated: { count: set.docs, doc: (i) => tpotDoc(set, i).doc }, port: Number(values['es-port']) });
const misp = await startMispEmulator({ port: Number(values['misp-port']), writeLatencyMs: Number(values['misp-write-ms']) });
const enrichment = await startEnrichmentEmulator();
// The enrichment block is ready to paste into a .env (ENRICHMENT_ENABLED=true plus these).
const enrichmentSettings = {
  VIRUSTOTAL_URL: enrichment.baseUrls.virustotal, VIRUSTOTAL_API_KEY: enrichment.keys.virustotal,
  ABUSEIPDB_URL: enrichment.baseUrls.abuseipdb, ABUSEIPDB_API_KEY: enrichment.keys.abuseipdb,
  GREYNOISE_URL: enrichment.baseUrls.greynoise, GREYNOISE_API_KEY: enrichment.keys.greynoise,
};
process.stdout.write(`${JSON.stringify({ elasticsearch: { url: es.url }, misp: { url: misp.url, key: misp.apiKey }, enrichment: enrichmentSettings, docs: set.docs })}\n`);

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const stats = () => {
  const events = misp.events();
  return {
    es_requests: es.requests.total,
    es_bytes: es.requests.bytesSent,
    es_full_source_bytes: es.requests.bytesOfFullSource,
    misp_requests: misp.totalRequests(),
    misp_writes: misp.writeRequests(),
    misp_events: events.length,
    misp_attributes: events.reduce((n, e) => n + e.Attribute.length, 0),
    misp_objects: events.reduce((n, e) => n + e.Object.length, 0),
    misp_spec_violations: misp.specViolations.length,
    enrichment_requests: { ...enrichment.requests },
    // So that a benchmark can tell the emulators' share of a run's wall time from the pipeline's.
    cpu_seconds: cpuSeconds(),
  };
};
const shutdown = async () => {
  await es.close();
  await misp.close();
  await enrichment.close();
  process.exit(0);
};
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify(stats())}\n`);
  if (line.trim() === 'quit') void shutdown();
});
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
