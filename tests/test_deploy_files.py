"""The files in deploy/ and the guide that installs them (docs/deploy.md), as a care zone's
IT team uses them: the environment file read alike by the units and by the commands run
by hand, the units naming commands that exist, nginx's body limit above Relais's."""

import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from django.core.management import get_commands

from relais.config import cli
from relais.core.uploads import max_request_bytes

pytestmark = pytest.mark.sqlite_only  # reads files, runs bash: the same whatever the database

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"
ENV_FILE = "/etc/relais/relais.env"
BY_HAND = "sudo -u relais -E "


def as_the_units_read_it(text: str) -> dict[str, str]:
    """systemd's EnvironmentFile (values without quotes or backslashes) and podman's
    --env-file: each KEY=VALUE line as it is written, the later line winning."""
    lines = (line.strip() for line in text.splitlines())
    return dict(line.split("=", 1) for line in lines if re.match(r"[A-Z][A-Z0-9_]*=", line))


def every_setting_of_the_example() -> str:
    """deploy/relais.env.example with its commented alternatives (the Patroni URL, the
    replica) turned on: an installation may use any of them."""
    return "\n".join(re.sub(r"^#(?=[A-Z][A-Z0-9_]*=)", "", line)
                     for line in (DEPLOY / "relais.env.example").read_text().splitlines()) + "\n"


def guide_blocks() -> list[str]:
    return [textwrap.dedent(block)
            for block in re.findall(r"^ *```sh\n(.*?)^ *```", GUIDE.read_text(), re.M | re.S)]


def test_the_example_environment_has_no_quoted_value():
    # systemd takes the quotes away, podman's --env-file keeps them: a quoted value would
    # differ between the units and the containers.
    settings = as_the_units_read_it(every_setting_of_the_example())
    quoted = {key: value for key, value in settings.items() if value[:1] in {'"', "'"}}
    assert not quoted
    assert "Relais <" in settings["DEFAULT_FROM_EMAIL"] and "&" in settings["DATABASE_URL"]


def test_every_block_of_the_guide_that_runs_relais_by_hand_loads_the_units_environment(
        tmp_path):
    """`sudo -u relais -E relais migrate` reads the environment of the shell it is run
    from: each block that runs one loads /etc/relais/relais.env first, and gets every
    value exactly as the units get it (a shell's `. relais.env` stopped at the sender's
    `<`, and ran a URL's `&` as a command in the background)."""
    env_file = tmp_path / "relais.env"
    env_file.write_text(every_setting_of_the_example())
    expected = as_the_units_read_it(env_file.read_text())
    blocks = [block for block in guide_blocks() if BY_HAND in block]
    assert len(blocks) >= 4  # configure, upgrade, restore, an audit month's detachment
    for block in blocks:
        before = block[:block.index(BY_HAND)].splitlines()
        loading = [line for line in before if ENV_FILE in line and not line.startswith(
            ("#", "install ", "$EDITOR", "cp "))]
        assert loading, f"this block runs relais without the environment:\n{block}"
        script = "\n".join(loading).replace(ENV_FILE, str(env_file)) + "\nenv -0\n"
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                              env={"PATH": os.environ["PATH"]}, capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0 and not done.stderr, f"{script}\n{done.stderr}"
        got = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
        assert {key: got.get(key) for key in expected} == expected, script


def relais_commands_in(text: str) -> list[list[str]]:
    return [line.split() for line in re.findall(r"/opt/relais/venv/bin/relais ([^#\n]+)", text)]


def test_the_units_and_the_guide_name_relais_commands_that_exist():
    # relais's own words (relais.config.cli), and Django's commands, which it passes on
    known = set(get_commands()) | set(re.findall(r"^  ([a-z-]+)", cli.USAGE, re.M))
    texts = [path.read_text() for path in (DEPLOY / "systemd").glob("*.service")]
    named = [words for text in [*texts, GUIDE.read_text()] for words in relais_commands_in(text)]
    assert len(named) > 10
    for words in named:
        command = words[1] if words[0] == "manage" else words[0]
        assert command in known, words


def test_the_units_start_programs_and_read_files_the_release_has():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        for path in re.findall(r"/opt/relais/(deploy/\S+)", unit.read_text()):
            assert (ROOT / path).is_file(), (unit.name, path)
        assert f"EnvironmentFile={ENV_FILE}" in unit.read_text(), unit.name


def test_nginx_lets_through_every_form_relais_answers_itself():
    # Above Relais's own limit, so that its translated page answers, not nginx's 413.
    size = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx" / "relais.conf")
                     .read_text())
    assert int(size.group(1)) * 1024 * 1024 > max_request_bytes()
