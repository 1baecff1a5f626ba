"""The demo's mark: a drop is "the demo" only when the generator made it and says so.

The generator writes ``manifest.json`` and then ``DATA_SIMULASI.json`` (:data:`analysis.catalog.
DEMO_MARKER`), which names the generator, says ``data_simulasi: true`` and binds the manifest by
its sha256. :func:`is_demo` requires all of it: a ``manifest.json`` alone (a real drop may carry
one of its own) or a mark copied without its manifest does not make a drop the demo, so its clock
and its DATA SIMULASI banner never reach real packs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from analysis import catalog

GENERATOR = "analysis.demo"
_NOTE = (
    "Drop ini dibuat oleh generator demo workbench (analysis.demo): DATA SIMULASI, bukan data "
    "pemilihan sebenarnya."
)


def _regular_json(path: Path) -> tuple[bytes, object] | None:
    """A regular file's bytes and JSON value (never through a link), None otherwise."""
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = path.read_bytes()
        return data, json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None


def write_marker(out: Path) -> None:
    """Mark ``out`` as the demo (after its manifest is written)."""
    manifest = (out / catalog.DEMO_MANIFEST).read_bytes()
    mark = {
        "dibuat_oleh": GENERATOR,
        "data_simulasi": True,
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "keterangan": _NOTE,
    }
    text = json.dumps(mark, ensure_ascii=False, indent=1) + "\n"
    (out / catalog.DEMO_MARKER).write_text(text, encoding="utf-8")


def is_demo(raw: Path) -> bool:
    """Whether the drop at ``raw`` is the workbench's demo (the mark, and the manifest it binds)."""
    mark = _regular_json(Path(raw) / catalog.DEMO_MARKER)
    manifest = _regular_json(Path(raw) / catalog.DEMO_MANIFEST)
    if mark is None or manifest is None:
        return False
    m, man = mark[1], manifest[1]
    return (
        isinstance(m, dict)
        and isinstance(man, dict)
        and m.get("dibuat_oleh") == GENERATOR
        and m.get("data_simulasi") is True
        and man.get("generator") == GENERATOR
        and m.get("manifest_sha256") == hashlib.sha256(manifest[0]).hexdigest()
    )


def made_by_generator(out: Path) -> bool:
    """Whether ``out`` holds a drop the generator wrote (marked, or from before the mark existed:
    its manifest names the generator): the only folder it may replace."""
    if is_demo(out):
        return True
    manifest = _regular_json(Path(out) / catalog.DEMO_MANIFEST)
    return (
        manifest is not None
        and isinstance(manifest[1], dict)
        and (manifest[1].get("generator") == GENERATOR)
    )
