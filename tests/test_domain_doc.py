"""docs/domain.md: every section a comment points to exists, and the page cites no outside file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "domain.md"
# "docs/domain.md §4", "``docs/domain.md`` §6–§7", "docs/domain.md §1, §9"
POINTER = re.compile(r"docs/domain\.md`*\s*((?:§\d+(?:\s*[–,-]\s*)?)+)")


def _sections() -> set[int]:
    return {int(n) for n in re.findall(r"^## §(\d+) ", DOC.read_text(encoding="utf-8"), re.M)}


def test_sections_are_numbered_in_order():
    numbers = [int(n) for n in re.findall(r"^## §(\d+) ", DOC.read_text(encoding="utf-8"), re.M)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_pointer_names_an_existing_section():
    have = _sections()
    files = [*ROOT.glob("src/**/*.py"), *ROOT.glob("tests/*.py"), ROOT / "config" / "settings.yaml"]
    missing = []
    for path in files:
        for match in POINTER.finditer(path.read_text(encoding="utf-8")):
            for n in re.findall(r"§(\d+)", match.group(1)):
                if int(n) not in have:
                    missing.append(f"{path.relative_to(ROOT)}: §{n}")
    assert not missing, missing


def test_page_points_to_nothing_a_clone_lacks():
    text = DOC.read_text(encoding="utf-8")
    assert "../" + "shared" not in text and "DOMAIN §" not in text


def test_code_and_settings_cite_the_page_a_clone_has():
    """Rule sources (check `sumber`, comments, settings) cite docs/domain.md, not the team's notes."""
    root = DOC.parents[1]
    paths = [*root.joinpath("src").rglob("*.py"), *root.joinpath("config").glob("*.yaml")]
    stale = [p.name for p in paths if "DOMAIN §" in p.read_text(encoding="utf-8")]
    assert stale == []
