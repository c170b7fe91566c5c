"""Talks to a MISP instance (here: the MISP emulator of `npm run bench:serve`) with PyMISP, the official client.

Usage: python pymisp_client.py MISP_URL MISP_KEY      (or MISP_URL / MISP_KEY in the environment)
Connects (PyMISP's constructor calls servers/getVersion, users/view/me and attributes/describeTypes.json), creates
an event with a tag, adds single attributes and a batch, searches events and attributes, and prints one JSON line
summarising what came back. Exits 1 with the error on stderr (and an {"ok": false, "error": ...} line on stdout) on
any PyMISP error, including the {'errors': ...} dicts PyMISP returns instead of raising.
"""
import json
import os
import sys
import uuid
from typing import Any

from pymisp import MISPAttribute, MISPEvent, PyMISP


class Failure(Exception):
    pass


def checked(what: str, result: Any) -> Any:
    """PyMISP reports HTTP 4xx as {'errors': (status, body)} instead of raising: those are failures here."""
    if isinstance(result, dict) and 'errors' in result:
        raise Failure(f'{what} failed: {result["errors"]!r}')
    return result


def attribute(type_: str, value: str, comment: str) -> MISPAttribute:
    a = MISPAttribute()
    a.type = type_
    a.value = value
    a.comment = comment
    a.to_ids = True
    return a


def run(url: str, key: str) -> dict[str, Any]:
    misp = PyMISP(url, key, ssl=False, timeout=30)
    version = checked('get_version', misp.misp_instance_version)
    recommended = checked('recommended_pymisp_version', misp.recommended_pymisp_version)

    marker = uuid.uuid4().hex[:12]
    event = MISPEvent()
    event.info = f'PyMISP client check {marker}'
    event.distribution = 0
    event.threat_level_id = 3
    event.analysis = 1
    event.add_tag('tlp:clear')
    created = checked('add_event', misp.add_event(event, pythonify=True))
    if not isinstance(created, MISPEvent) or not getattr(created, 'id', None):
        raise Failure(f'add_event returned no event: {created!r}')

    ip = f'198.51.100.{int(marker[:2], 16) % 250 + 1}'
    single = checked('add_attribute ip-src', misp.add_attribute(created, attribute('ip-src', ip, 'ssh brute force'), pythonify=True))
    url_attr = checked('add_attribute url', misp.add_attribute(created, attribute('url', f'http://203.0.113.7/{marker}.sh', 'download'), pythonify=True))
    sha = checked('add_attribute sha256', misp.add_attribute(created.id, attribute('sha256', (marker * 6)[:64].ljust(64, '0'), 'payload'), pythonify=True))
    batch = checked('add_attribute batch', misp.add_attribute(created, [attribute('ip-src', '192.0.2.10', 'batch'), attribute('domain', f'{marker}.example.org', 'batch')], pythonify=True))
    if batch.get('errors'):
        raise Failure(f'add_attribute batch reported errors: {batch["errors"]!r}')
    added = [single, url_attr, sha, *batch['attributes']]
    for a in added:
        if not isinstance(a, MISPAttribute) or not getattr(a, 'id', None):
            raise Failure(f'add_attribute returned no attribute: {a!r}')

    events = checked('search events', misp.search(controller='events', value=ip, pythonify=True))
    attributes = checked('search attributes', misp.search(controller='attributes', type_attribute='ip-src', eventid=created.id, pythonify=True))
    fetched = checked('get_event', misp.get_event(created.id, pythonify=True))
    return {
        'ok': True,
        'version': version.get('version'),
        'recommended_pymisp_version': recommended.get('version'),
        'user': misp._current_user.email,
        'event': {'id': str(created.id), 'uuid': str(created.uuid), 'info': created.info, 'tags': [t.name for t in created.tags]},
        'attributes': [{'id': str(a.id), 'uuid': str(a.uuid), 'type': a.type, 'category': a.category, 'value': a.value, 'event_id': str(a.event_id)} for a in added],
        'event_search': [{'id': str(e.id), 'uuid': str(e.uuid), 'attribute_values': sorted(a.value for a in e.attributes)} for e in events],
        'attribute_search': [{'type': a.type, 'value': a.value, 'event_id': str(a.event_id)} for a in attributes],
        'fetched_attribute_count': len(fetched.attributes),
    }


if __name__ == '__main__':
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('MISP_URL', '')
    key = sys.argv[2] if len(sys.argv) > 2 else os.environ.get('MISP_KEY', '')
    try:
        summary = run(url, key)
    except Exception as error:  # PyMISPError, Failure, requests errors: all are failures
        message = f'{type(error).__name__}: {error}'
        print(message, file=sys.stderr)
        print(json.dumps({'ok': False, 'error': message}))
        sys.exit(1)
    print(json.dumps(summary))
