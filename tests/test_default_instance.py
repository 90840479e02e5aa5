"""The bundled default instance (U.S. CAM/AAM 2025-2035) must keep behaving as an analyst expects.

Each case is solved once, with the default preset, and checked for proven optimality within 0.01%,
the plan invariants, and the directions policy should push the plan in.
"""

from __future__ import annotations

import pytest

from helpers import assert_invariants
from planner import resources
from planner.cases import apply_case
from planner.cases import load_instance
from planner.run import solve_case
from planner.solve.presets import merge_options

PATH = resources.data_dir("instances") / "us-active-materials.xlsx"
CASES = ("current_law", "ira_2022", "no_credits", "china_tariffs_high", "strict_localization_80")


@pytest.fixture(scope="module")
def inst():  # noqa: ANN201
    return load_instance(PATH)


@pytest.fixture(scope="module")
def sols(inst):  # noqa: ANN001, ANN201
    return {c: solve_case(inst, c, options=merge_options("default")) for c in CASES}


def test_is_the_bundled_default_and_clean(inst) -> None:  # noqa: ANN001
    assert resources.default_instance() == PATH
    assert tuple(inst.cases) == CASES
    assert not inst.warnings


def test_demand_matches_the_data_file(inst) -> None:  # noqa: ANN001
    # §2.2 sanity check: 2030 ≈ 550 kt CAM and ≈ 310 kt AAM
    fam = {c: x.family for c, x in inst.commodities.items()}
    tot = {"CAM": 0.0, "AAM": 0.0}
    for (c, _r, y), t in inst.base_demand.items():
        if y == 2030:
            tot[fam[c]] += t
    assert tot["CAM"] == pytest.approx(550_000, rel=0.03)
    assert tot["AAM"] == pytest.approx(310_000, rel=0.03)


def test_every_case_proven_optimal_and_consistent(inst, sols) -> None:  # noqa: ANN001
    for c, sol in sols.items():
        assert sol.status["has_solution"], c
        assert sol.status["gap"] <= 1e-4 + 1e-12, (c, sol.status["status"])
        assert_invariants(sol, apply_case(inst, c))


def test_no_plant_delivers_before_its_qualification_year(sols) -> None:  # noqa: ANN001
    for sol in sols.values():
        q = sol.builds.groupby("project")["qualified_year"].min()  # modules may start in several years
        p = sol.production[sol.production["output_t"] > 1e-6]
        assert (p["year"] >= p["project"].map(q)).all()


def _china_imports(sol) -> float:  # noqa: ANN001
    i = sol.imports
    return float(i.loc[i["origin"] == "China", "tonnes"].sum())


def _domestic(sol, family: str) -> float:  # noqa: ANN001
    s = sol.supply
    return float(s.loc[s["family"] == family, "domestic_plants_t"].sum())


def test_imports_from_china_shrink_when_tariffs_rise(sols) -> None:  # noqa: ANN001
    assert _china_imports(sols["china_tariffs_high"]) < 0.8 * _china_imports(sols["current_law"])
    assert _domestic(sols["china_tariffs_high"], "AAM") > _domestic(sols["current_law"], "AAM")


def test_more_domestic_cam_under_strict_localization(sols) -> None:  # noqa: ANN001
    assert _domestic(sols["strict_localization_80"], "CAM") > 1.5 * _domestic(sols["current_law"], "CAM")
    loc = sols["strict_localization_80"].localization.set_index(["group", "year"])["share"]
    base = sols["current_law"].localization.set_index(["group", "year"])["share"]
    assert loc[("CAM", 2035)] > base[("CAM", 2035)] + 0.3
    assert _china_imports(sols["strict_localization_80"]) < 0.2 * _china_imports(sols["current_law"])


def test_credits_fall_to_zero_without_credits(sols) -> None:  # noqa: ANN001
    nc = sols["no_credits"]
    assert nc.kpi("public_cost_usd") == pytest.approx(0.0, abs=1e-3)
    assert nc.credits[["credit_45x_usd", "credit_48c_usd", "grants_usd"]].abs().to_numpy().max() < 1e-3
    assert sols["current_law"].kpi("public_cost_usd") > 0
    # the plan cannot get cheaper for industry when the credits go
    assert nc.kpi("cost_to_industry_usd") >= sols["current_law"].kpi("cost_to_industry_usd") - 1e-3


def test_ira_pays_more_credits_than_current_law(sols) -> None:  # noqa: ANN001
    assert sols["ira_2022"].kpi("public_cost_usd") > sols["current_law"].kpi("public_cost_usd")


def test_sources_cite_every_figure(inst) -> None:  # noqa: ANN001
    assert len(inst.sources) > 100
    for s in inst.sources:
        assert s.get("tag") in ("S", "D", "E"), s
        assert s.get("source"), s
        if s["tag"] == "E":
            assert "assumption" in (s.get("note") or "").lower(), s
