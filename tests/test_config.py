"""Scenario files: loading, defaults, errors, ``--set`` overrides, sweeps and hashes.

Every problem a user can cause must surface as one :class:`ScenarioError`
whose message is a single line naming the file, the dotted key and the reason.
"""

from __future__ import annotations

import pydantic
import pytest

from sim.config import (
    DeterministicSpec,
    ExponentialSpec,
    ScenarioError,
    expand_sweep,
    load_scenario,
    parse_override,
)

POISSON = """
[fleet]
calls_per_h = 0.375
"""


def assert_one_line_error(err: ScenarioError, path, key: str, reason: str) -> None:
    """The message is one line and names the file, the key and the reason."""
    msg = str(err)
    assert "\n" not in msg, msg
    assert str(path) in msg, msg
    assert key in msg, msg
    assert reason in msg, msg


# ---------------------------------------------------------------------------
# A valid file and its defaults


def test_minimal_file_gets_documented_defaults(write_scenario):
    """A file with only a call rate gets one 'standard' class, one technician, FIFO."""
    sc = load_scenario(write_scenario(POISSON))
    assert [c.name for c in sc.fleet.classes] == ["standard"]
    assert sc.fleet.classes[0].share == 1.0
    assert sc.fleet.classes[0].sla_h is None
    assert (sc.territories.count, sc.territories.technicians, sc.territories.pooled) == (1, 1, 1)
    assert sc.dispatch.policy == "fifo"
    assert sc.travel.time_h == DeterministicSpec(dist="deterministic", value=0.0)
    assert sc.repair.time_h == ExponentialSpec(dist="exponential", mean=2.0)
    assert sc.calendar.hours_per_day == 8.0
    assert sc.report.wait_thresholds_h == [2.0, 8.0]
    assert sc.wait_kpi_names == ["p_wait_gt_2h", "p_wait_gt_8h"]
    assert sc.sweep == {}
    assert sc.validation is None
    assert not sc.fleet.finite


def test_architecture_example_loads(write_scenario):
    """The example of the core scenario keys is a valid scenario."""
    sc = load_scenario(
        write_scenario("""
        [meta]
        name = "dupit-baseline"
        description = "One rep per territory, 150 machines, 2-h repairs"

        [run]
        horizon_h = 40000.0
        warmup_h = 2000.0
        replications = 10
        seed = 20261129

        [calendar]
        hours_per_day = 8.0

        [fleet]
        machines = 150
        time_to_failure_h = { dist = "exponential", mean = 400.0 }

        [[fleet.classes]]
        name = "contract"
        share = 0.4
        priority = 1
        sla_h = 4.0

        [[fleet.classes]]
        name = "other"
        share = 0.6
        priority = 2

        [territories]
        count = 1
        technicians = 1
        pooled = 1

        [travel]
        time_h = { dist = "deterministic", value = 0.0 }

        [repair]
        time_h = { dist = "exponential", mean = 2.0 }

        [dispatch]
        policy = "fifo"

        [report]
        wait_thresholds_h = [2.0, 8.0]

        [sweep]
        "territories.technicians" = [1, 2, 3]
    """)
    )
    assert sc.fleet.finite and sc.fleet.machines == 150
    assert [c.name for c in sc.fleet.classes] == ["contract", "other"]
    assert sc.sweep == {"territories.technicians": [1, 2, 3]}


def test_scenario_is_frozen(write_scenario):
    """A loaded scenario cannot be changed in place (runs must not alter their inputs)."""
    sc = load_scenario(write_scenario(POISSON))
    with pytest.raises(pydantic.ValidationError):
        sc.territories.technicians = 5  # type: ignore[misc]


def test_integers_are_accepted_where_hours_are_expected(write_scenario):
    """``horizon_h = 100`` (a TOML integer) is a valid number of hours."""
    sc = load_scenario(write_scenario(POISSON + "[run]\nhorizon_h = 100\n"))
    assert sc.run.horizon_h == 100.0


# ---------------------------------------------------------------------------
# Invalid content: one line naming file, key, reason

BAD_CONTENT = {
    "unknown key": (
        POISSON + "[repair]\ntme = 2.0\n",
        "repair.tme",
        "unknown key",
    ),
    "wrong type": (
        POISSON + '[territories]\ntechnicians = "two"\n',
        "territories.technicians",
        "valid integer",
    ),
    "float where an integer is needed": (
        POISSON + "[territories]\ntechnicians = 2.5\n",
        "territories.technicians",
        "valid integer",
    ),
    "boolean where an integer is needed": (
        POISSON + "[run]\nreplications = true\n",
        "run.replications",
        "valid integer",
    ),
    "negative mean": (
        POISSON + '[repair]\ntime_h = {dist="exponential", mean=-2}\n',
        "repair.time_h.mean",
        "greater than 0",
    ),
    "zero mean": (
        POISSON + '[repair]\ntime_h = {dist="gamma", mean=0.0, cv=0.5}\n',
        "repair.time_h.mean",
        "greater than 0",
    ),
    "zero repair time": (
        POISSON + '[repair]\ntime_h = {dist="deterministic", value=0.0}\n',
        "repair",
        "positive mean",
    ),
    "NaN": (
        "[fleet]\ncalls_per_h = nan\n",
        "fleet.calls_per_h",
        "finite",
    ),
    "infinity": (
        POISSON + "[run]\nhorizon_h = inf\n",
        "run.horizon_h",
        "finite",
    ),
    "negative count": (
        POISSON + "[territories]\ncount = -1\n",
        "territories.count",
        "greater than or equal to 1",
    ),
    "class shares do not sum to 1": (
        POISSON + '[[fleet.classes]]\nname = "a"\nshare = 0.5\n[[fleet.classes]]\nname = "b"\nshare = 0.4\n',
        "fleet.classes",
        "sum to 1",
    ),
    "duplicate class names": (
        POISSON + '[[fleet.classes]]\nname = "a"\nshare = 0.5\n[[fleet.classes]]\nname = "a"\nshare = 0.5\n',
        "fleet.classes",
        "unique",
    ),
    "priority missing under priority dispatch": (
        POISSON + '[[fleet.classes]]\nname = "a"\nshare = 0.5\npriority = 1\n'
        '[[fleet.classes]]\nname = "b"\nshare = 0.5\n'
        '[dispatch]\npolicy = "priority"\n',
        "fleet.classes[1].priority",
        "needs a priority",
    ),
    "unknown dispatch policy": (
        POISSON + '[dispatch]\npolicy = "bogus"\n',
        "dispatch.policy",
        "got 'bogus'",
    ),
    "pooled does not divide count": (
        POISSON + "[territories]\ncount = 3\npooled = 2\n",
        "territories.pooled",
        "must divide count",
    ),
    "unknown distribution": (
        POISSON + '[repair]\ntime_h = {dist="expo", mean=2.0}\n',
        "repair.time_h",
        "unknown distribution 'expo'",
    ),
    "distribution without dist": (
        POISSON + "[repair]\ntime_h = {mean=2.0}\n",
        "repair.time_h",
        "needs a 'dist' key",
    ),
    "erlang with a fractional k": (
        POISSON + '[repair]\ntime_h = {dist="erlang", mean=2.0, k=1.5}\n',
        "repair.time_h.k",
        "valid integer",
    ),
    "uniform with low above high": (
        POISSON + '[travel]\ntime_h = {dist="uniform", low=3.0, high=1.0}\n',
        "travel.time_h",
        "smaller than high",
    ),
    "empirical weights of the wrong length": (
        POISSON + '[repair]\ntime_h = {dist="empirical", values=[1.0, 2.0], weights=[1.0]}\n',
        "repair.time_h",
        "weights has 1 entries",
    ),
    "both calls_per_h and machines": (
        '[fleet]\ncalls_per_h = 1.0\nmachines = 3\ntime_to_failure_h = {dist="exponential", mean=10.0}\n',
        "fleet",
        "not both",
    ),
    "no call source at all": (
        '[fleet]\nclasses = [{name = "a", share = 1.0}]\n',
        "fleet",
        "calls_per_h",
    ),
    "finite fleet without a failure law": (
        "[fleet]\nmachines = 3\n",
        "fleet",
        "time_to_failure_h",
    ),
    "empty sweep list": (
        POISSON + '[sweep]\n"territories.technicians" = []\n',
        "sweep.territories.technicians",
        "at least 1 item",
    ),
    "sweep with an invalid value": (
        POISSON + '[sweep]\n"territories.technicians" = [1, 0]\n',
        "sweep.territories.technicians",
        "value 0",
    ),
    "sweep of an unknown key": (
        POISSON + '[sweep]\n"repair.tme" = [1.0]\n',
        "sweep.repair.tme",
        "unknown key",
    ),
    "sweep of the meta section": (
        POISSON + '[sweep]\n"meta.name" = ["a", "b"]\n',
        "sweep.meta.name",
        "cannot be swept",
    ),
}


@pytest.mark.parametrize(("text", "key", "reason"), BAD_CONTENT.values(), ids=BAD_CONTENT.keys())
def test_invalid_content_is_one_line_naming_file_key_reason(write_scenario, text, key, reason):
    """Each invalid scenario raises ScenarioError: 'FILE: KEY: REASON' on one line."""
    path = write_scenario(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert_one_line_error(info.value, path, key, reason)
    # the key as written, possibly followed by the distribution's kind ("travel.time_h.uniform")
    assert info.value.key == key or info.value.key.startswith(key + ".")
    assert info.value.source == str(path)


def test_toml_syntax_error_names_the_line(write_scenario):
    """A TOML syntax error names the file and where in it the syntax breaks."""
    path = write_scenario("[fleet\ncalls_per_h = 1.0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert_one_line_error(info.value, path, "", "TOML syntax error")
    assert "line 1" in str(info.value)


def test_missing_file(tmp_path):
    """A file that does not exist is reported as such, not as a traceback."""
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert_one_line_error(info.value, path, "", "no such file")


def test_directory_instead_of_file(tmp_path):
    """A directory given as the scenario is refused with a clear reason."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert_one_line_error(info.value, tmp_path, "", "is a directory")


def test_binary_file(tmp_path):
    """A binary (non-UTF-8) file is refused as such."""
    path = tmp_path / "image.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert_one_line_error(info.value, path, "", "UTF-8")


def test_scenario_error_is_a_value_error():
    """Callers that catch ValueError also catch scenario problems."""
    err = ScenarioError("f.toml", "run.seed", "bad")
    assert isinstance(err, ValueError)
    assert str(err) == "f.toml: run.seed: bad"


# ---------------------------------------------------------------------------
# --set overrides


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("territories.technicians=2", ("territories.technicians", 2)),
        ("run.horizon_h=100.0", ("run.horizon_h", 100.0)),
        ("run.horizon_h=1e3", ("run.horizon_h", 1000.0)),
        ("dispatch.policy=priority", ("dispatch.policy", "priority")),
        ('meta.name="two words"', ("meta.name", "two words")),
        ("meta.name=two words", ("meta.name", "two words")),
        (" run.seed = 7 ", ("run.seed", 7)),
        ("report.wait_thresholds_h=[1.0, 4.0]", ("report.wait_thresholds_h", [1.0, 4.0])),
        ("x.flag=true", ("x.flag", True)),
        (
            'repair.time_h={dist="gamma", mean=2.0, cv=0.5}',
            ("repair.time_h", {"dist": "gamma", "mean": 2.0, "cv": 0.5}),
        ),
    ],
)
def test_parse_override_reads_values_as_toml_else_as_a_bare_string(text, expected):
    """``key=value``: the value is TOML (typed); a bare word is a string."""
    assert parse_override(text) == expected
    assert type(parse_override(text)[1]) is type(expected[1])


@pytest.mark.parametrize("text", ["territories.technicians", "=2", ""])
def test_parse_override_without_key_or_equals_is_an_error(text):
    """An override must look like dotted.key=value."""
    with pytest.raises(ScenarioError, match=r"dotted.key=value"):
        parse_override(text)


def test_set_override_replaces_a_value(write_scenario):
    """``--set territories.technicians=2`` wins over the file."""
    path = write_scenario(POISSON + "[territories]\ntechnicians = 1\n")
    sc = load_scenario(path, ["territories.technicians=2"])
    assert sc.territories.technicians == 2


def test_set_override_is_type_checked(write_scenario):
    """A bad override value fails validation like a bad file value, naming file and key."""
    path = write_scenario(POISSON)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["territories.technicians=two"])
    assert_one_line_error(info.value, path, "territories.technicians", "valid integer")
    assert "--set" in str(info.value)


def test_set_override_of_an_unknown_key_is_rejected(write_scenario):
    """``--set repair.tme=1`` is an unknown key, as in a file."""
    path = write_scenario(POISSON)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["repair.tme=1.0"])
    assert_one_line_error(info.value, path, "repair.tme", "unknown key")


def test_set_override_with_an_inline_table(write_scenario):
    """A distribution can be replaced from the command line as an inline table."""
    path = write_scenario(POISSON)
    sc = load_scenario(path, ['repair.time_h={dist="gamma", mean=3.0, cv=0.5}'])
    assert sc.repair.time_h.dist == "gamma"
    assert sc.repair.time_h.mean == 3.0


def test_set_override_with_a_bare_word(write_scenario):
    """``dispatch.policy=priority`` needs no quotes."""
    sc = load_scenario(write_scenario(POISSON), ["dispatch.policy=priority"])
    assert sc.dispatch.policy == "priority"


def test_set_override_creates_a_missing_section(write_scenario):
    """Overriding a key of a section absent from the file creates it."""
    sc = load_scenario(write_scenario(POISSON), ["travel.time_h={dist='deterministic', value=0.5}"])
    assert sc.travel.time_h.value == 0.5


def test_set_override_of_a_list_item(write_scenario):
    """``fleet.classes.1.share=...`` reaches into an array of tables by index."""
    path = write_scenario(
        POISSON + '[[fleet.classes]]\nname = "a"\nshare = 0.5\n[[fleet.classes]]\nname = "b"\nshare = 0.5\n'
    )
    sc = load_scenario(path, ["fleet.classes.0.share=0.25", "fleet.classes.1.share=0.75"])
    assert [c.share for c in sc.fleet.classes] == [0.25, 0.75]


def test_set_override_takes_the_key_as_an_error_message_names_it(write_scenario):
    """Errors name list items ``fleet.classes[1].share``; ``--set`` takes that spelling too,
    so a key copied from a message works."""
    path = write_scenario(
        POISSON + '[[fleet.classes]]\nname = "a"\nshare = 0.5\n[[fleet.classes]]\nname = "b"\nshare = 0.5\n'
    )
    sc = load_scenario(path, ["fleet.classes[0].share=0.25", "fleet.classes[1].share=0.75"])
    assert [c.share for c in sc.fleet.classes] == [0.25, 0.75]


def test_set_override_list_index_out_of_range(write_scenario):
    """An index beyond the list is an error naming the key."""
    path = write_scenario(POISSON)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["fleet.classes.3.share=0.5"])
    assert_one_line_error(info.value, path, "fleet.classes.3.share", "out of range")


def test_set_override_through_a_value_is_an_error(write_scenario):
    """``--set run.horizon_h.x=1`` where horizon_h is a number: an error, not a crash."""
    path = write_scenario(POISSON + "[run]\nhorizon_h = 10.0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["run.horizon_h.x=1"])
    assert_one_line_error(info.value, path, "run.horizon_h.x", "not a section")


def test_set_override_through_a_list_item_value_is_an_error(write_scenario):
    """``--set report.wait_thresholds_h.0.x=1``: the list item is a number, not a table."""
    path = write_scenario(POISSON + "[report]\nwait_thresholds_h = [2.0]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["report.wait_thresholds_h.0.x=1"])
    assert_one_line_error(info.value, path, "report.wait_thresholds_h.0.x", "not a section")


def test_malformed_set_override_names_the_file(write_scenario):
    """Even a malformed ``--set`` (no '=') names the scenario file it was meant for."""
    path = write_scenario(POISSON)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["territories.technicians"])
    assert_one_line_error(info.value, path, "territories.technicians", "dotted.key=value")


# ---------------------------------------------------------------------------
# Sweeps


def test_no_sweep_is_one_design_point(write_scenario):
    """Without a [sweep] there is one design point, dp000, equal to the scenario."""
    sc = load_scenario(write_scenario(POISSON))
    (point,) = expand_sweep(sc)
    assert point.id == "dp000"
    assert point.params == {}
    assert point.scenario.config_hash() == sc.config_hash()


def test_sweep_is_the_cartesian_product_last_key_fastest(write_scenario):
    """Design points follow itertools.product order (last key varies fastest), ids dp000.."""
    sc = load_scenario(
        write_scenario(
            POISSON
            + """
        [sweep]
        "territories.technicians" = [1, 2, 3]
        "dispatch.policy" = ["fifo", "priority"]
    """
        )
    )
    points = expand_sweep(sc)
    assert [p.id for p in points] == [f"dp{i:03d}" for i in range(6)]
    assert [p.params for p in points] == [
        {"territories.technicians": t, "dispatch.policy": d} for t in (1, 2, 3) for d in ("fifo", "priority")
    ]
    for p in points:
        assert p.scenario.territories.technicians == p.params["territories.technicians"]
        assert p.scenario.dispatch.policy == p.params["dispatch.policy"]
        assert p.scenario.sweep == {}


def test_sweep_ids_are_stable(write_scenario):
    """Expanding the same sweep twice gives the same ids, parameters and hashes."""
    path = write_scenario(POISSON + '[sweep]\n"run.seed" = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\n')
    first = expand_sweep(load_scenario(path))
    second = expand_sweep(load_scenario(path))
    assert [p.id for p in first] == [p.id for p in second]
    assert first[-1].id == "dp010"
    assert [p.params for p in first] == [p.params for p in second]
    assert [p.scenario.config_hash() for p in first] == [p.scenario.config_hash() for p in second]
    assert len({p.scenario.config_hash() for p in first}) == len(first)


def test_sweep_over_a_distribution(write_scenario):
    """A swept value can be a whole inline table (e.g. the repair-time law)."""
    sc = load_scenario(
        write_scenario(
            POISSON
            + """
        [sweep]
        "repair.time_h" = [{dist = "exponential", mean = 2.0}, {dist = "deterministic", value = 2.0}]
    """
        )
    )
    kinds = [p.scenario.repair.time_h.dist for p in expand_sweep(sc)]
    assert kinds == ["exponential", "deterministic"]


# ---------------------------------------------------------------------------
# config_hash


def test_config_hash_is_8_hex_and_stable(write_scenario):
    """The same file gives the same 8-character hex hash every time."""
    path = write_scenario(POISSON)
    h = load_scenario(path).config_hash()
    assert len(h) == 8 and int(h, 16) >= 0
    assert load_scenario(path).config_hash() == h


def test_config_hash_ignores_formatting_and_explicit_defaults(write_scenario):
    """Comments, key order and spelling out a default do not change the resolved scenario."""
    a = write_scenario(POISSON + "[run]\nseed = 3\nhorizon_h = 10.0\n", "a.toml")
    b = write_scenario(
        "# a comment\n[run]\nhorizon_h = 10.0  # hours\nseed = 3\n" + POISSON + "[territories]\ncount = 1\n",
        "b.toml",
    )
    assert load_scenario(a).config_hash() == load_scenario(b).config_hash()


def test_config_hash_changes_with_content(write_scenario):
    """Any change of a value (including via --set) changes the hash."""
    path = write_scenario(POISSON)
    base = load_scenario(path).config_hash()
    assert load_scenario(path, ["run.seed=1"]).config_hash() != base
    assert load_scenario(path, ["fleet.calls_per_h=0.5"]).config_hash() != base
    assert load_scenario(path, ["meta.name=other"]).config_hash() != base
