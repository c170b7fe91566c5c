import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayUrl, displayUrlsIn } from '../../src/observability/display-url.js';

describe('displayUrl', () => {
  it('hides a password written into a URL, and leaves everything else as it was', () => {
    assert.equal(displayUrl('https://admin:S3cret%21@misp.example.org/'), 'https://admin:***@misp.example.org/');
    assert.equal(displayUrl('https://misp.example.org:8443/base'), 'https://misp.example.org:8443/base');
    assert.equal(displayUrl('https://user@es.example.org:9200'), 'https://user@es.example.org:9200');
    assert.equal(displayUrl('not a url'), 'not a url');
  });
});

describe('displayUrlsIn', () => {
  it('hides the password of every URL in free text, parsable or not, and leaves the rest alone', () => {
    assert.equal(
      displayUrlsIn('cannot reach https://admin:S3cret@misp.example.org/ nor http://u:p%zz@es:9200/x (ECONNREFUSED)'),
      'cannot reach https://admin:***@misp.example.org/ nor http://u:***@es:9200/x (ECONNREFUSED)',
    );
    assert.equal(displayUrlsIn('plain http://host:9200/path@x and no URL'), 'plain http://host:9200/path@x and no URL');
  });
});
