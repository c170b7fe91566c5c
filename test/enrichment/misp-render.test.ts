import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abuseConfidenceBand, enrichmentObjects, enrichmentTags, isBenignScanner, type ProviderAnswers } from '../../src/enrichment/misp-render.js';

const EVENT = '5f0c7f2e-8d3b-5c43-9a55-6e2f3d0c1a11';
const INDICATOR = '0b9c3a5e-1f0d-5e9f-8c0a-2b7d4e6f8a90';
const fetchedAt = Date.UTC(2026, 10, 2, 12);

const answers: ProviderAnswers = {
  virustotal: { fetchedAt, answer: { status: 'found', data: { provider: 'virustotal', malicious: 3, suspicious: 1, harmless: 60, undetected: 20, reputation: -5, lastAnalysisDate: 1_700_000_000, permalink: 'https://www.virustotal.com/gui/ip-address/198.51.100.23' } } },
  abuseipdb: { fetchedAt, answer: { status: 'found', data: { provider: 'abuseipdb', abuseConfidenceScore: 40, totalReports: 12, countryCode: 'NL', isp: 'Example <script>alert(1)</script>\u0000ISP', usageType: null, isWhitelisted: false, lastReportedAt: null } } },
  greynoise: { fetchedAt, answer: { status: 'found', data: { provider: 'greynoise', classification: 'benign', noise: true, riot: false, name: 'x'.repeat(5000), link: 'javascript:alert(1)', lastSeen: '2026-11-01' } } },
};

describe('enrichment answers as MISP objects and tags', () => {
  it('bands AbuseIPDB confidence at 75 / 25 / 1', () => {
    assert.deepEqual([100, 75, 74, 25, 24, 1, 0].map(abuseConfidenceBand), ['high', 'high', 'medium', 'medium', 'low', 'low', 'none']);
  });

  it('tags the indicator with sorted, filterable verdicts, and a benign-scanner tag', () => {
    assert.deepEqual(enrichmentTags(answers).map((t) => t.name), [
      'abuseipdb:confidence="medium"',
      'greynoise:classification="benign"',
      'greynoise:noise="true"',
      'tpot:scanner="benign"',
      'virustotal:verdict="malicious"',
    ]);
    assert.equal(isBenignScanner(answers), true);
    assert.equal(isBenignScanner({ virustotal: answers.virustotal! }), false);
    assert.deepEqual(enrichmentTags({ virustotal: { fetchedAt, answer: { status: 'not_found' } } }), [], '"not found" adds nothing');
  });

  it('renders one object per provider, referencing the indicator, with provider text bounded and unsafe links left out', () => {
    const objects = enrichmentObjects(EVENT, INDICATOR, { kind: 'ip', value: '198.51.100.23' }, answers);
    assert.deepEqual(objects.map((o) => o.name), ['virustotal-report', 'abuseipdb', 'greynoise-ip']);
    for (const object of objects) {
      assert.deepEqual(object.ObjectReference?.map((r) => [r.object_uuid, r.referenced_uuid]), [[object.uuid, INDICATOR]]);
      for (const attribute of object.Attribute) assert.equal(attribute.to_ids, false);
    }
    const [vt, abuse, gn] = objects;
    assert.equal(vt!.Attribute.find((a) => a.object_relation === 'detection-ratio')?.value, '3/84');
    assert.ok(!abuse!.comment.includes('\u0000'), 'control characters from a provider are removed');
    assert.ok(gn!.Attribute.every((a) => a.value.length <= 1025), 'long provider text is cut');
    assert.equal(gn!.Attribute.find((a) => a.object_relation === 'link'), undefined, 'a non-http link is not written');
    assert.equal(gn!.Attribute.find((a) => a.object_relation === 'last-seen')?.value, '2026-11-01T00:00:00Z');
  });

  it('gives the same object the same UUID on every render (a newer answer updates it in place)', () => {
    const first = enrichmentObjects(EVENT, INDICATOR, { kind: 'ip', value: '198.51.100.23' }, answers);
    const later = enrichmentObjects(EVENT, INDICATOR, { kind: 'ip', value: '198.51.100.23' }, { ...answers, virustotal: { fetchedAt: fetchedAt + 1, answer: answers.virustotal!.answer } });
    assert.deepEqual(first.map((o) => o.uuid), later.map((o) => o.uuid));
  });
});
