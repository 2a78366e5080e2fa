"""Machines at given places: territories.locations_csv."""

from pathlib import Path

import pytest

from sim import cli
from sim.config import ScenarioError, expand_sweep, load_scenario, validate_scenario
from sim.experiment.experiment import run_experiment

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "located_machines.toml"


def test_the_csv_is_read_relative_to_the_scenario_file(monkeypatch, tmp_path):
    """A relative locations_csv is found next to the scenario, wherever the command runs."""
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(SCENARIO)
    assert Path(sc.territories.locations_csv).is_file()


def test_clustered_machines_make_shorter_trips_than_uniform_ones():
    """The example fleet clusters machines around a town: trips are shorter than between
    uniform places, and the distance formula is marked approximate for it."""
    short = {"run.horizon_h": 5000.0, "run.replications": 3}
    sets = [f"{k}={v}" for k, v in short.items()]
    located = load_scenario(SCENARIO, sets)
    raw = located.model_dump(mode="json")
    raw["territories"]["locations_csv"] = None  # the same fleet, machines placed uniformly
    uniform = validate_scenario(raw)
    trips = {}
    for name, sc in (("located", located), ("uniform", uniform)):
        exp = run_experiment(sc, expand_sweep(sc), backend="serial")
        row = exp.summary[(exp.summary["kpi"] == "trip_km") & (exp.summary["class"] == "all")]
        trips[name] = float(row["mean"].iloc[0])
        if name == "located":
            assert not bool(row["analytic_exact"].iloc[0])
    assert trips["located"] < 0.9 * trips["uniform"]


@pytest.mark.parametrize(
    "csv, reason",
    [
        ("territory,x_km,y_km\n0,1,1\n", "has 1 rows"),
        ("territory,x_km,y_km\n" + "0,1,1\n" * 20 + "1,1,1\n" * 19 + "1,11,1\n", "outside"),
        ("territory,x_km,y_km\n" + "1,1,1\n" * 40, "expected 0"),
        ("t,x,y\n" + "0,1,1\n" * 40, "needs territory, x_km, y_km"),
    ],
)
def test_a_bad_locations_file_is_a_one_line_error(tmp_path, capsys, csv, reason):
    """Wrong row count, a place outside the territory, rows out of order, wrong columns:
    exit 2 with one line naming the key, nothing run."""
    f = tmp_path / "places.csv"
    f.write_text(csv)
    code = cli.main(
        [
            "run",
            str(SCENARIO),
            "--set",
            f'territories.locations_csv="{f}"',
            "--out",
            str(tmp_path / "results"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "territories.locations_csv" in err[0] and reason in err[0]
    assert not (tmp_path / "results").exists()


def test_locations_need_geometry(tmp_path):
    """Given places only make sense with distances."""
    with pytest.raises(ScenarioError, match=r"territories.locations_csv"):
        load_scenario(SCENARIO, ['travel.mode="time"'])
