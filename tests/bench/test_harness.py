"""The one harness: `python -m bench <scenario>` hands the command line to the scenario's
module, and every report starts with the same header (bench/writer.py). The insights
scenario runs for real, on a few hundred conversations in SQLite; no timing is asserted."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench import writer
from bench.__main__ import SCENARIOS, main, parser_for


def test_a_scenario_must_be_named_and_help_lists_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in ([], ["nonsense"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("server", "length", "cluster", "insights"))
    assert set(SCENARIOS) >= {"server", "length", "profile", "patches", "cluster", "insights"}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_each_scenario_takes_its_own_options_and_an_out(scenario: str) -> None:
    args = parser_for(scenario).parse_args([scenario, "--out", "elsewhere.json"])
    assert args.scenario == scenario
    assert args.out == Path("elsewhere.json")


def test_a_scenario_refuses_another_ones_options() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["cluster", "--conversations", "300"])
    assert exited.value.code == 2


def test_the_insights_scenario_writes_the_header_first(tmp_path: Path) -> None:
    out = tmp_path / "bench-insights.json"
    argv = ["insights", "--conversations", "300", "--days", "2", "--runs", "1"]
    argv += ["--databases", "sqlite", "--out", str(out)]

    returned = main(argv)

    report = json.loads(out.read_text())
    assert report == returned
    assert list(report)[:4] == ["scenario", "generated", "machine", "command"]
    assert report["scenario"] == "insights"
    generated = datetime.strptime(report["generated"], "%Y-%m-%dT%H:%M:%SZ")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert now - timedelta(minutes=10) <= generated <= now + timedelta(seconds=1)
    assert set(report["machine"]) == {"cpus", "python", "processor"}
    assert report["machine"]["cpus"] >= 1
    assert report["command"] == shlex.join(["python", "-m", "bench", *argv])
    assert list(report["results"]) == ["sqlite"]
    sqlite = report["results"]["sqlite"]
    assert sqlite["events"] > 300
    assert 0 < sqlite["conversations_measured"] <= 300
    assert len(sqlite["page_s"]) == 1
    markdown = out.with_suffix(".md").read_text()
    assert report["command"] in markdown
    assert f"{writer.when(report)}, {report['machine']['cpus']} cores" in markdown
    assert "| sqlite | " in markdown


def test_the_writer_keeps_the_header_its_own(tmp_path: Path) -> None:
    out = tmp_path / "bench-x.json"
    with pytest.raises(ValueError, match="machine"):
        writer.write("x", "python -m bench x", {"machine": "mine"}, out)
    assert not out.exists()
    report = writer.write("x", "python -m bench x", {"figures": [1]}, out)
    assert json.loads(out.read_text()) == report
    assert report["figures"] == [1]
    assert writer.beside(out, "-length.png") == tmp_path / "bench-x-length.png"
    assert writer.default_out("cluster") == writer.REPORTS / "bench-cluster.json"


def test_a_report_is_named_after_its_scenario() -> None:
    for scenario in SCENARIOS:
        args = parser_for(scenario).parse_args([scenario])
        assert writer.out_of(args, scenario) == writer.REPORTS / f"bench-{scenario}.json"
    quick = parser_for("server").parse_args(["server", "--quick"])
    assert writer.out_of(quick, "server") == writer.REPORTS / "bench-raw" / "server-quick.json"
