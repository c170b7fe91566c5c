"""Independent check of a MISP feed directory with PyMISP (the official Python library).

Usage: python pymisp_check.py FEED_DIR
Prints one JSON summary line; exits 1 if PyMISP rejects anything, listing every problem.

Every event file is loaded with MISPEvent, every attribute is re-created with a strict
MISPAttribute (type/category combinations from PyMISP's own describeTypes), every object is
rebuilt with MISPObject(name, strict=True) from PyMISP's own templates, and the feed's
manifest.json and hashes.csv are checked against the events.
"""
import csv
import hashlib
import json
import sys
from pathlib import Path

from pymisp import MISPAttribute, MISPEvent, MISPObject


def check_feed(feed_dir: Path) -> dict:
    problems: list[str] = []
    counts = {"events": 0, "attributes": 0, "objects": 0, "object_attributes": 0, "references": 0}
    templates: dict[str, int] = {}
    manifest = json.loads((feed_dir / "manifest.json").read_text(encoding="utf-8"))
    hashes: set[tuple[str, str]] = set()
    with open(feed_dir / "hashes.csv", newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            hashes.add((row[0], row[1]))
    event_files = sorted(p for p in feed_dir.glob("*.json") if p.name != "manifest.json")
    if sorted(p.stem for p in event_files) != sorted(manifest):
        problems.append("manifest.json does not list exactly the event files")

    for path in event_files:
        where = path.name
        event = MISPEvent()
        try:
            event.load_file(path)
        except Exception as error:  # PyMISP raises several exception types; all are rejections
            problems.append(f"{where}: MISPEvent rejected the file: {error!r}")
            continue
        counts["events"] += 1
        if event.uuid != path.stem:
            problems.append(f"{where}: event uuid {event.uuid} differs from its file name")
        entry = manifest.get(path.stem, {})
        if entry.get("info") != event.info:
            problems.append(f"{where}: manifest info differs from the event's")
        raw = json.loads(path.read_text(encoding="utf-8"))["Event"]

        for attribute in raw.get("Attribute", []):
            counts["attributes"] += 1
            try:
                MISPAttribute(strict=True).from_dict(**attribute)
            except Exception as error:
                problems.append(f"{where}: attribute {attribute.get('uuid')} rejected: {error!r}")
            digest = hashlib.md5(str(attribute["value"]).encode("utf-8")).hexdigest()
            if (digest, event.uuid) not in hashes:
                problems.append(f"{where}: attribute {attribute.get('uuid')} missing from hashes.csv")

        known_uuids = {a.get("uuid") for a in raw.get("Attribute", [])} | {o.get("uuid") for o in raw.get("Object", [])}
        for obj in raw.get("Object", []):
            counts["objects"] += 1
            name = obj.get("name")
            templates[name] = templates.get(name, 0) + 1
            for reference in obj.get("ObjectReference", []):
                counts["references"] += 1
                if reference.get("object_uuid") != obj.get("uuid") or reference.get("referenced_uuid") not in known_uuids:
                    problems.append(f"{where}: object {obj.get('uuid')} has a reference to nothing in the event: {reference!r}")
            try:
                rebuilt = MISPObject(name, strict=True)
                rebuilt.from_dict(**json.loads(json.dumps(obj)))
                definition = rebuilt._definition["attributes"]
                for attribute in obj.get("Attribute", []):
                    counts["object_attributes"] += 1
                    relation = attribute.get("object_relation")
                    if relation not in definition:
                        raise ValueError(f"relation {relation!r} is not in PyMISP's {name} template")
                    if attribute.get("type") != definition[relation]["misp-attribute"]:
                        raise ValueError(f"relation {relation!r} has type {attribute.get('type')!r}, template says {definition[relation]['misp-attribute']!r}")
                    MISPAttribute(strict=True).from_dict(**{k: v for k, v in attribute.items() if k != "object_relation"})
                rebuilt.to_json()  # strict objects validate required / requiredOneOf / multiple here
            except Exception as error:
                problems.append(f"{where}: object {name} {obj.get('uuid')} rejected: {error!r}")

    return {"ok": not problems, **counts, "templates": templates, "problems": problems[:50], "problem_count": len(problems)}


if __name__ == "__main__":
    summary = check_feed(Path(sys.argv[1]))
    print(json.dumps(summary))
    sys.exit(0 if summary["ok"] else 1)
