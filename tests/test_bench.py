"""`make bench`'s runner: each script's summary line collected into one table (issue 18)."""

import sys
from argparse import Namespace
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402 - beside the scripts, as make bench runs it
import summary  # noqa: E402

pytestmark = pytest.mark.sqlite_only  # runs scripts of its own, on no database

SCRIPT = '''
import summary
print("the script's own output, unchanged")
summary.at_most("page p95", 31.5, "ms", 25)
summary.at_least("reads/s", 6000, "/s", 5000)
summary.figure("built in", 12, "s")
summary.emit("fake")
'''


def test_a_scripts_figures_are_collected_beside_their_goals(tmp_path, monkeypatch, capsys):
    (tmp_path / "fake.py").write_text(SCRIPT)
    (tmp_path / "summary.py").write_text((BENCH / "summary.py").read_text())
    monkeypatch.setattr(run_all, "BENCH", tmp_path)
    options = Namespace(quick=True, database="sqlite", only="", persons=None)

    result = run_all._run("fake", options, tmp_path)

    assert result["exit"] == 0
    assert [(f["name"], f["value"], f["goal"], f["met"]) for f in result["figures"]] == [
        ("page p95", 31.5, "≤ 25 ms", False), ("reads/s", 6000, "≥ 5000 /s", True),
        ("built in", 12, "", None)]
    assert "the script's own output, unchanged" in capsys.readouterr().out
    assert "the script's own output" in (tmp_path / "fake.log").read_text()
    table = run_all._table([result], 60, options)
    assert "page p95" in table and "NO" in table and "yes" in table


def test_a_script_without_a_summary_line_is_shown_with_its_exit_code(tmp_path, monkeypatch):
    (tmp_path / "old.py").write_text("import sys\nprint('figures')\nsys.exit(3)\n")
    monkeypatch.setattr(run_all, "BENCH", tmp_path)
    options = Namespace(quick=False, database="sqlite", only="", persons=None)

    result = run_all._run("old", options, tmp_path)

    assert (result["exit"], result["figures"]) == (3, None)
    assert "old (0 s, EXIT 3): no summary line" in run_all._table([result], 1, options)


def test_a_population_size_sizes_the_scripts_measured_on_one_beside_ten_thousand():
    national = Namespace(quick=False, database="sqlite", only="", persons=1_000_000)
    quick = Namespace(quick=True, database="sqlite", only="", persons=None)

    assert run_all._arguments("person_page_scale", national) == ["--sizes", "10000,1000000"]
    assert run_all._arguments("person_page_scale", Namespace(
        **{**vars(national), "persons": 10_000})) == ["--sizes", "10000"]
    assert run_all._arguments("person_page_scale", quick) == ["--sizes", "2000,10000",
                                                              "--opens", "50"]
    assert run_all._arguments("booklet", national) == []
    assert "populations of 10,000 and 1,000,000 persons" in run_all._table([], 1, national)


def test_a_ratio_is_shown_to_two_decimals_and_a_rate_to_one():
    ratio = {"name": "booklet ÷", "value": 1.2354, "unit": "×", "goal": "≤ 1.2 ×", "met": False}
    rate = {"name": "reads", "value": 77379.54, "unit": "/s", "goal": "floor", "met": None}
    assert "1.24 ×" in run_all._row(ratio) and "77,379.5 /s" in run_all._row(rate)


def test_every_script_is_run_but_the_helpers():
    scripts = run_all._scripts("")
    assert {"pages", "booklet", "person_search", "generate", "load"} <= set(scripts)
    assert not {"throwaway", "summary", "run_all", "pages_urls", "locustfile",
                 "generated", "contract_rounds", "pgbouncer_ini"} & set(scripts)
    assert run_all._scripts("booklet,pages") == ["booklet", "pages"]
    assert run_all._scripts("") == sorted(scripts)


def test_at_a_population_size_the_scripts_measured_on_it_run_first():
    scripts = run_all._scripts("", first=run_all.AT_POPULATION)
    assert scripts[0] == "person_page_scale"
    assert scripts[1:] == sorted(scripts[1:]) and len(scripts) == len(run_all._scripts(""))
    assert run_all._scripts("pages,person_page_scale", first=run_all.AT_POPULATION) == [
        "person_page_scale", "pages"]
    assert summary.percentile([5, 1, 3, 2, 4], 0.5) == 3


def test_the_scripts_connect_with_the_session_settings_the_deployment_guide_ships():
    shipped = run_all._shipped_settings()
    assert (shipped["jit"], shipped["random_page_cost"], shipped["shared_buffers"]) == (
        "off", "1.1", "4GB")
    assert shipped["shared_preload_libraries"] == "pg_prewarm,pg_stat_statements"
    options = Namespace(quick=False, database="postgres://postgres@127.0.0.1:5432", only="",
                        persons=None, session_settings="-c jit=off -c random_page_cost=1.1")

    environment = run_all._environment("pages", options)

    assert environment["PGOPTIONS"] == "-c jit=off -c random_page_cost=1.1"
    # Relais's connections name their options (settings.py), so libpq ignores PGOPTIONS.
    assert environment["RELAIS_PG_OPTIONS"] == "-c jit=off -c random_page_cost=1.1"
    assert environment["DATABASE_URL"].endswith("/relais_bench_pages")
    assert "PGOPTIONS" not in run_all._environment("pages", Namespace(
        quick=False, database="sqlite", only="", persons=None))
