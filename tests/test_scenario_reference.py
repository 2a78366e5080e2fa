"""The scenario reference in docs/ is the one the models generate."""

from sim import scenario_doc


def test_docs_scenario_reference_matches_the_models():
    """docs/scenario_reference.md is regenerated with `python -m sim.scenario_doc`."""
    assert scenario_doc.DOC.read_text() == scenario_doc.markdown(), (
        "docs/scenario_reference.md is out of date: run python -m sim.scenario_doc"
    )


def test_every_section_of_a_scenario_is_documented():
    """Every top-level section of a scenario has a section in the reference."""
    from sim.config import Scenario

    documented = {name.split(".")[0].rstrip("[]") for name, _ in scenario_doc.SECTIONS}
    assert set(Scenario.model_fields) - {"sweep"} <= documented
