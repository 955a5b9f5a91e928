"""The production lock file (issue 18, "Reproducible installs"): every dependency of
pyproject.toml is pinned there with its hashes, at a version its range allows, Django at
5.2's latest security release or later. A dependency added without `make lock` fails."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

pytestmark = pytest.mark.sqlite_only  # reads files

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "production.txt"


def pinned() -> dict[str, tuple[Version, int]]:
    """{name: (version, number of hashes)} as the lock file pins them."""
    found = {}
    for block in re.split(r"\n(?=\S)", LOCK.read_text()):
        head = re.match(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", block)
        if head:
            name = canonicalize_name(head.group(1).split("[")[0])
            found[name] = (Version(head.group(2)), block.count("--hash=sha256:"))
    return found


def test_every_production_dependency_is_pinned_with_hashes_within_its_range():
    locked = pinned()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"]
    for line in dependencies:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in {LOCK.name}: run make lock"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version), f"{name}=={version}: run make lock"
        assert hashes >= 1, f"{name} has no hash"
    assert all(hashes for _, hashes in locked.values())


def test_django_is_the_5_2_lts_at_its_latest_security_release_or_later():
    version, _ = pinned()["django"]
    assert Version("5.2.20") <= version < Version("5.3")


def test_test_tools_are_not_in_the_production_lock():
    assert not {"pytest", "playwright", "factory-boy", "ruff"} & set(pinned())
