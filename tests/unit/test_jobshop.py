"""OR-Library job-shop instances: the parser, the solver and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scheduling.jobshop import load, lower_bound, parse, read_optima, solve

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "jobshop"
needs_data = pytest.mark.skipif(not (DATA / "jobshop1.txt").exists(), reason="shared job-shop data not present")

SMALL = """
 +++++++++++++++++++++++++++++
 instance tiny
 +++++++++++++++++++++++++++++
 two jobs, two machines
 2 2
 0 3 1 2
 1 4 0 1
 +++++++++++++++++++++++++++++
 instance other
 +++++++++++++++++++++++++++++
 one job
 1 2
 1 5 0 5
 +++++++++++++++++++++++++++++
"""


def test_parse_reads_every_instance_of_a_file() -> None:
    shops = parse(SMALL)
    assert list(shops) == ["tiny", "other"]
    assert shops["tiny"].routes == (((0, 3), (1, 2)), ((1, 4), (0, 1)))
    assert (shops["other"].jobs, shops["other"].machines) == (1, 2)
    assert lower_bound(shops["tiny"]) == 6


def test_solve_a_tiny_instance_to_its_optimum() -> None:
    r = solve(parse(SMALL)["tiny"], seconds=2)
    assert r.makespan == 6 and r.optimal
    s = r.starts
    assert s[0][1] >= s[0][0] + 3 and s[1][1] >= s[1][0] + 4


@needs_data
def test_parser_reads_all_instances_with_the_right_sizes() -> None:
    shops = load(DATA / "jobshop1.txt")
    assert len(shops) == 82
    sizes = {}
    for line in (DATA / "optima.tsv").read_text().splitlines():
        cols = line.split("\t")
        if len(cols) >= 3 and cols[1].isdigit():
            sizes[cols[0]] = (int(cols[1]), int(cols[2]))
    assert sizes
    for name, (n, m) in sizes.items():
        js = shops[name]
        assert (js.jobs, js.machines) == (n, m), name
        assert len(js.routes) == n and all(len(r) == m for r in js.routes)
        assert all(sorted(mach for mach, _ in r) == list(range(m)) for r in js.routes), name
    assert (shops["abz7"].jobs, shops["abz7"].machines) == (20, 15)


@needs_data
def test_ft06_is_solved_to_55() -> None:
    r = solve(load(DATA / "jobshop1.txt")["ft06"], seconds=3)
    assert r.makespan == 55 == read_optima(DATA / "optima.tsv")["ft06"]


@needs_data
def test_jobshop_command_prints_the_makespan_and_the_optimum(capsys: pytest.CaptureFixture[str]) -> None:
    from app.main import main

    assert main(["jobshop", str(DATA / "jobshop1.txt"), "ft06", "--seconds", "2"]) == 0
    out = capsys.readouterr().out
    assert "makespan 55" in out and "known optimum 55" in out


def test_jobshop_command_names_a_missing_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.main import main

    f = tmp_path / "js.txt"
    f.write_text(SMALL)
    assert main(["jobshop", str(f), "nope", "--seconds", "1"]) == 1
    assert "no instance 'nope'" in capsys.readouterr().err
    assert main(["jobshop", str(f), "tiny", "--seconds", "1"]) == 0
