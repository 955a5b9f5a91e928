"""deploy/pgbouncer/pgbouncer.ini as it runs beside a test or a bench on this machine: the
deployed file, with only this run's ports, folders and database changed, so that what is
tested is what is shipped (tests/test_pgbouncer.py, bench/failover.py)."""

from pathlib import Path

DEPLOYED = Path(__file__).resolve().parent.parent / "deploy" / "pgbouncer" / "pgbouncer.ini"


def local_ini(database: str, settings: dict, template: str | None = None) -> str:
    """The deployed file (or `template`) with its `relais` database pointed at `database`
    (libpq's words: "host=… port=… dbname=…"), and each of `settings` in place of the
    file's own, or added to [pgbouncer] where the file has none; a setting given as None
    is left out (no logfile: PgBouncer logs to its standard error)."""
    lines = (DEPLOYED.read_text() if template is None else template).splitlines()
    present = {line.split("=")[0].strip() for line in lines if "=" in line}
    made = []
    for line in lines:
        key = line.split("=")[0].strip()
        if key == "relais":
            line = f"relais = {database}"
        elif key in settings:
            line = "" if settings[key] is None else f"{key} = {settings[key]}"
        made.append(line)
        if line == "[pgbouncer]":
            made += [f"{key} = {value}" for key, value in settings.items()
                     if key not in present and value is not None]
    return "\n".join(made) + "\n"
