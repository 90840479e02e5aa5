"""A small instance that shows the sourcing rules at work: `instances/sourcing-rules.xlsx`.

Not a data set: a demonstration (five years, two U.S. cell regions, a handful of plants and contracts)
whose figures are rounded from ../shared/data (us-active-materials.md §1, §4, §5.1 and the 2026 update)
or marked as assumptions in its sources sheet. It exercises every mechanism of issue 12:

* plant-level 45X from the plan's own sourcing: the existing Ohio NMC811 plant P1 buys pCAM (from China,
  PFE, or Korea, non-PFE, dearer) and lithium hydroxide (spot, mostly PFE, or from Chile, non-PFE) and
  earns 45X only in the years its MACR reaches the threshold: its sourcing decides (a binary per year);
* a 45X test decided by the data: the candidate LFP plant L1 (no modelled inputs, 30% PFE materials)
  passes 60-70% and fails 80-85%;
* the cell credit ($35/kWh x phase-down) for Ohio's EV cells, which qualify only with domestic CAM and,
  from the 80% threshold on, domestic graphite as well (the candidate G1);
* the 48E-style test for Georgia's storage (ESS) cells, with their own value per kWh and thresholds.

Cases: `current_law` (all rules), `no_material_tests` (the same credits without any MACR threshold),
`no_cell_credit` (no credit for cells). Rewrite the workbook with

    python -m planner.datasets.sourcing_rules
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.datasets.us_active_materials import E, S, _Sources

Tables = dict[str, list[dict[str, Any]]]

FILE_NAME = "sourcing-rules.xlsx"
YEARS = tuple(range(2026, 2031))
CASES = ("current_law", "no_material_tests", "no_cell_credit")
REF = "../shared/data/us-active-materials.md"
UPD = "../shared/data/us-active-materials-2026-update.md"

X45_MACR = S({2026: 0.60, 2027: 0.65, 2028: 0.70, 2029: 0.80, 2030: 0.85}, "share", f"{REF} §5.1",
             "MACR threshold for qualifying battery components (incl. EAM) by year of sale")
CELL_MACR = X45_MACR  # cells are qualifying battery components too
ESS_MACR = S({2026: 0.55, 2027: 0.60, 2028: 0.65, 2029: 0.70, 2030: 0.75}, "share", f"{REF} §5.1",
             "48E energy-storage MACR threshold by construction-start year")
CELL_CREDIT = S(35.0, "$/kWh", f"{REF} §5.1", "45X for cells; phase-down 75% in 2030 (component phase-down)")
PHASE_2030 = S(0.75, "share", f"{REF} §5.1", "component phase-down by year of sale: 75% (2030)")
ESS_VALUE = E(10.0, "$/kWh", "demonstration", "value to a storage project of cells that meet the 48E test, per kWh "
              "of cells (not a statutory figure)")
OTHER_CELL = E(25.0, "$/kWh", "demonstration", "foil, electrolyte, separator and can per kWh of NMC cells")
OTHER_CELL_ESS = E(20.0, "$/kWh", "demonstration", "the same for LFP storage cells")
OTHER_CELL_PFE = E(0.3, "share", "demonstration", "PFE share of those other cell materials")
LIOH_PFE = E(0.7, "share", "demonstration", "share of spot lithium hydroxide refined by prohibited foreign entities")


def _settings(src: _Sources) -> list[dict[str, Any]]:
    src.add("settings", "2026-2030, 8%/yr", "E", "demonstration", "a short horizon that spans the thresholds' steps")
    return [{"parameter": k, "value": v} for k, v in {
        "title": "Sourcing rules demonstration", "first_year": YEARS[0], "last_year": YEARS[-1], "base_year": YEARS[0],
        "discount_rate": 0.08, "currency": "USD", "penalty_unmet_demand": 100_000,
        "penalty_localization": 50_000}.items()]


def _commodities(src: _Sources) -> list[dict[str, Any]]:
    src.add("commodities reference_price", "NMC811 18,000; LFP 7,000; SG 6,000; pCAM 12,000 $/t", "D",
            f"{REF} §4.1", "rounded 2025 China ex-works prices; the ratios value every tonne at them")
    lioh = src.use("commodities LiOH market_pfe_share", LIOH_PFE)
    src.add("commodities LiOH market_price", "12,000 $/t", "D", f"{UPD} §3", "between the 2025 and January 2026 "
            "lithium prices, as hydroxide")
    return [
        {"commodity": "NMC811", "family": "CAM", "name": "NMC811 cathode", "reference_price": 18_000},
        {"commodity": "LFP", "family": "CAM", "name": "LFP cathode", "reference_price": 7_000},
        {"commodity": "SG", "family": "AAM", "name": "Synthetic graphite anode", "reference_price": 6_000},
        {"commodity": "pCAM", "family": "precursor", "name": "NMC811 precursor (pCAM)", "reference_price": 12_000},
        {"commodity": "LiOH", "family": "raw", "name": "Lithium hydroxide", "market_price": 12_000,
         "market_pfe_share": lioh},
    ]


def _regions() -> list[dict[str, Any]]:
    return [
        {"region": "OH", "name": "Ohio cell cluster", "domestic": True},
        {"region": "GA", "name": "Georgia storage-cell cluster", "domestic": True},
        {"region": "China", "name": "China", "feoc": True},
        {"region": "Korea", "name": "Korea", "fta": True},
        {"region": "Chile", "name": "Chile", "fta": True},
    ]


def _demand(src: _Sources) -> tuple[list[dict[str, Any]], ...]:
    src.add("intensity", "NMC811 cells 1,400 t CAM + 950 t SG per GWh; LFP cells 2,100 t CAM + 1,050 t SG", "D",
            f"{REF} §1.2", "rounded default intensities")
    src.add("cell_demand", "OH EV 10-18 GWh, GA ESS 4-8 GWh", "E", "demonstration", "small, growing cell output")
    intensity = [
        {"chemistry": "NMC811", "commodity": "NMC811", "t_per_gwh": 1_400},
        {"chemistry": "NMC811", "commodity": "SG", "t_per_gwh": 950},
        {"chemistry": "LFP", "commodity": "LFP", "t_per_gwh": 2_100},
        {"chemistry": "LFP", "commodity": "SG", "t_per_gwh": 1_050},
    ]
    mix = [{"segment": "EV", "year": YEARS[0], "chemistry": "NMC811", "share": 1.0},
           {"segment": "ESS", "year": YEARS[0], "chemistry": "LFP", "share": 1.0}]
    cells = [{"region": "OH", "year": y, "segment": "EV", "gwh": 10 + 2 * k} for k, y in enumerate(YEARS)]
    cells += [{"region": "GA", "year": y, "segment": "ESS", "gwh": 4 + k} for k, y in enumerate(YEARS)]
    return intensity, mix, cells


def _projects(src: _Sources) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    src.add("projects", "P1 existing 20 kt/yr NMC811; L1 LFP and G1 graphite candidates", "E", "demonstration",
            f"capex per t/yr within the ranges of {REF} §3.3; variable costs exclude the modelled inputs")
    base = {"units_max": 1, "lifetime": 20, "eligible_45x": True, "construction_years": 0, "qualification_years": 0}
    projects = [
        {**base, "project": "P1", "name": "Ohio NMC811 CAM plant", "site": "OH", "commodity": "NMC811",
         "status": "existing", "capacity_per_unit": 20_000, "variable_cost": 3_500, "other_materials_cost": 500,
         "pfe_cost_share": 0.5, "earliest_start": 2022,
         "description": "buys pCAM (China or Korea) and LiOH (spot or Chile): its sourcing decides its 45X"},
        {**base, "project": "L1", "name": "Georgia LFP plant", "site": "GA", "commodity": "LFP", "status": "candidate",
         "units_max": 2, "capacity_per_unit": 10_000, "capex_per_unit": 150_000_000, "fixed_om_per_unit": 4_500_000,
         "variable_cost": 6_800, "pfe_cost_share": 0.3, "earliest_start": 2026, "construction_years": 1,
         "qualification_years": 1, "description": "no modelled inputs: 30% PFE materials decide its 45X by data"},
        {**base, "project": "G1", "name": "Ohio synthetic graphite plant", "site": "OH", "commodity": "SG",
         "status": "candidate", "units_max": 2, "capacity_per_unit": 10_000, "capex_per_unit": 250_000_000,
         "fixed_om_per_unit": 7_500_000, "variable_cost": 7_000, "pfe_cost_share": 0.1, "earliest_start": 2026,
         "construction_years": 1, "qualification_years": 1,
         "description": "non-PFE graphite: lets EV cells meet the higher cell thresholds"},
    ]
    recipes = [{"project": "P1", "input": "pCAM", "t_per_t": 1.0}, {"project": "P1", "input": "LiOH", "t_per_t": 0.45}]
    return projects, recipes


def _contracts(src: _Sources) -> list[dict[str, Any]]:
    src.add("contracts", "China FEOC; Korea and Chile non-PFE", "D", f"{REF} §4.1, §4.5",
            "rounded prices; Korean pCAM and Chilean hydroxide a little dearer than Chinese material [E]")
    return [
        {"contract": "C-NMC", "origin": "China", "commodity": "NMC811", "price": 18_000},
        {"contract": "C-LFP", "origin": "China", "commodity": "LFP", "price": 6_000},
        {"contract": "C-SG", "origin": "China", "commodity": "SG", "price": 5_000},
        {"contract": "C-pCAM", "origin": "China", "commodity": "pCAM", "price": 11_000},
        {"contract": "K-pCAM", "origin": "Korea", "commodity": "pCAM", "price": 11_800},
        {"contract": "CL-LiOH", "origin": "Chile", "commodity": "LiOH", "price": 13_000},
    ]


def _transport(src: _Sources) -> list[dict[str, Any]]:
    src.add("transport", "ocean 350-400 $/t, OH-GA 100 $/t", "D", f"{REF} §4.3", "rounded freight")
    out = [{"from_region": o, "to_region": d, "cost_per_t": c, "both_ways": False}
           for o, c in (("China", 400), ("Korea", 350), ("Chile", 300)) for d in ("OH", "GA")]
    return out + [{"from_region": "OH", "to_region": "GA", "cost_per_t": 100, "both_ways": True}]


def _policy(src: _Sources) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def row(param: str, values: Any, *, year: int | None = None, region: str | None = None,
            commodity: str | None = None, segment: str | None = None, unit: str = "", description: str = "") -> None:
        v = values if isinstance(values, dict) else {c: values for c in CASES}
        rows.append({"parameter": param, "year": year, "region": region, "commodity": commodity, "segment": segment,
                     "unit": unit, "description": description, **{c: v.get(c) for c in CASES}})

    src.add("policy x45_rate", "0.10", "S", f"{REF} §5.1", "10% of production cost")
    row("x45_rate", 0.10, unit="0-1", description="45X for electrode active materials")
    phase = src.use("policy x45_phase 2030 / cell_credit_phase 2030", PHASE_2030)
    row("x45_phase", phase, year=2030, unit="0-1", description="phase-down by year of sale")
    row("x45_requires_non_feoc", True, description="FEOC-owned plants earn no 45X")
    macr = src.use("policy x45_macr_min / cell_macr_min (EV)", X45_MACR)
    ess = src.use("policy cell_macr_min (ESS, 48E)", ESS_MACR)
    for y in YEARS:
        row("x45_macr_min", {"current_law": macr[y], "no_material_tests": 0.0, "no_cell_credit": macr[y]}, year=y,
            unit="0-1", description="plant MACR threshold")
        row("cell_macr_min", {"current_law": macr[y], "no_material_tests": 0.0, "no_cell_credit": macr[y]}, year=y,
            segment="EV", unit="0-1", description="cell MACR threshold (45X cells)")
        row("cell_macr_min", {"current_law": ess[y], "no_material_tests": 0.0, "no_cell_credit": ess[y]}, year=y,
            segment="ESS", unit="0-1", description="storage MACR threshold (48E)")
    credit = src.use("policy cell_credit (EV)", CELL_CREDIT)
    value = src.use("policy cell_credit (ESS)", ESS_VALUE)
    row("cell_credit", {"current_law": credit, "no_material_tests": credit, "no_cell_credit": 0.0}, segment="EV",
        unit="$/kWh", description="45X for U.S. cells")
    row("cell_credit", {"current_law": value, "no_material_tests": value, "no_cell_credit": 0.0}, segment="ESS",
        unit="$/kWh", description="value of meeting the 48E test, per kWh of storage cells")
    row("cell_credit_phase", phase, year=2030, segment="EV", unit="0-1", description="45X phase-down")
    other = src.use("policy cell_other_materials_cost (EV)", OTHER_CELL)
    other_ess = src.use("policy cell_other_materials_cost (ESS)", OTHER_CELL_ESS)
    pfe = src.use("policy cell_other_materials_pfe_share", OTHER_CELL_PFE)
    row("cell_other_materials_cost", other, segment="EV", unit="$/kWh", description="foil, electrolyte, separator, can")
    row("cell_other_materials_cost", other_ess, segment="ESS", unit="$/kWh", description="the same, LFP storage cells")
    row("cell_other_materials_pfe_share", pfe, unit="0-1", description="PFE share of the other cell materials")
    src.add("policy tariff", "0.25 on Chinese CAM and AAM", "D", f"{REF} §4.4", "Section 301 order of magnitude; "
            "precursors untariffed in this demonstration [E]")
    for fam in ("CAM", "AAM"):
        row("tariff", 0.25, region="China", commodity=fam, unit="share of price", description="tariff on Chinese "
            "active material")
    for c in CASES:
        src.add(f"policy case {c}", c, "D", "demonstration", {
            "current_law": "every rule of issue 12: plant MACR tests, the cell credit with its test, the 48E test",
            "no_material_tests": "the same credits with no MACR threshold (what the tests cost the plan)",
            "no_cell_credit": "plant MACR tests, no credit for cells"}[c])
    return rows


def tables() -> Tables:
    """The demonstration instance as records per sheet."""
    src = _Sources()
    settings = _settings(src)
    commodities = _commodities(src)
    intensity, mix, cells = _demand(src)
    projects, recipes = _projects(src)
    out: Tables = {
        "settings": settings, "commodities": commodities, "regions": _regions(), "intensity": intensity,
        "chemistry_mix": mix, "cell_demand": cells, "projects": projects, "recipes": recipes,
        "contracts": _contracts(src), "transport": _transport(src), "policy": _policy(src),
    }
    out["sources"] = src.rows
    return out


def default_path() -> Path:
    from planner.resources import checkout_dir

    return checkout_dir("instances") / FILE_NAME


def main() -> None:
    from planner.export.instance_xlsx import write_instance

    print(f"wrote {write_instance(tables(), default_path())}")


if __name__ == "__main__":
    main()
