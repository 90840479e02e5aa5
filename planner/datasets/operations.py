"""A small demonstration instance of offtakes, plant operations and substitution groups (instances/operations.xlsx).

It shows each mechanism of issue 12 §4-5 on real North-American plants, with the figures of the project's
reference data (``us-active-materials.md`` and its late-2026 update), tagged and sourced like the default
instance (`planner.datasets.us_active_materials`, whose figures it reuses):

* Vianode St. Thomas ON phase 1 (committed synthetic graphite, online 2028) has an offtake with GM (Ohio); its
  output costs more than imported Chinese graphite, so the plan runs it at the agreement's minimum;
* Syrah Vidalia LA (existing natural graphite, qualified 2027) is mothballed in 2027 and restarted in 2028 for
  its Tesla offtake (Nevada);
* Epsilon Leland NC phase 1 (committed synthetic graphite, 48C allocation) is cancelled: the capex not yet
  spent is worth more than a plant whose output imports undercut;
* BASF Elyria OH (a small legacy NCM plant) is retired early;
* graphite demand forms a substitution group (natural graphite 0-50% of the graphite, synthetic 50-100%) and
  the Nevada cathode demand an NCA/NMC group (NMC811 up to half of Panasonic's NCA).

Three cases: `current_law` (mid-2026 tariffs), `no_agreements` (the offtakes removed: Vianode idles, Syrah stays
mothballed) and `china_tariffs_high` (100% on Chinese CAM, 185% on Chinese graphite: the plants run, nothing is
cancelled). `planner compare instances/operations.xlsx --regret` evaluates each case's plan (its cancellations
and retirements included) under the others.

    python -m planner.datasets.operations   # writes instances/operations.xlsx
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.datasets import us_active_materials as us
from planner.datasets.us_active_materials import D, E, Fig, S

Tables = dict[str, list[dict[str, Any]]]

FILE_NAME = "operations.xlsx"
TITLE = "Offtakes, plant operations and substitution (demonstration)"
FIRST_YEAR, LAST_YEAR = 2026, 2032
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
UPDATE = "us-active-materials-2026-update.md"
CASES = ("current_law", "no_agreements", "china_tariffs_high")

HORIZON = E("2026-2032", "annual", "modelling choice",
            "a short horizon around the committed plants' start-up years (demonstration instance)")
PENALTY_OFFTAKE = E(20_000, "$/t", "modelling choice",
                    "modelling choice: above the gap between a North-American plant's cost and the landed Chinese "
                    "import (about $1-3k/t for graphite, §4.1/§8.2/§8.3), below the penalty for unmet demand: a "
                    "qualified plant delivers its offtake minimum whenever the buyer can take it")

# demand: two cell clusters of §2.3, constant over the horizon [E]
DEMAND = (
    ("NV", "NCA", E(30, "GWh/yr", "§2.3", "Panasonic @ Tesla Giga Nevada 41 GWh (NCA/NCM) [S], ~75% utilised [E]")),
    ("OH", "NMC811", E(40, "GWh/yr", "§2.3", "Ultium Cells Warren 40 GWh NCMA [S], full [E]")),
)
GRAPHITE_T_PER_GWH = D(950, "t/GWh", us.INTENSITY_SOURCE, "graphite anode of NMC811/NCA cells (§1.2)")
SYNTHETIC_SHARE = E(0.70, "share", "§1.3", "synthetic : natural graphite 70:30 (the 2030 value of §1.3) as stated "
                    "demand; the substitution group lets the plan move between them")
CAM_T_PER_GWH = {"NCA": D(1400, "t/GWh", us.INTENSITY_SOURCE, "NCA (§1.2)"),
                 "NMC811": D(1400, "t/GWh", us.INTENSITY_SOURCE, "NMC811 / NCMA (§1.2)")}

# the penalty prices this demonstration was built with (the default instance now prices them from the lost cell
# margin; the demonstration keeps a last-resort price so that its story does not depend on them)
PENALTY_UNMET = E(250_000, "$/t", "modelling choice",
                  "modelling choice, not a market price: 250 $/kg, over 6x the dearest material (Si-C 40 $/kg), "
                  "so unmet demand is a last resort that is reported")
PENALTY_LOCALIZATION = E(50_000, "$/t", "modelling choice",
                         "modelling choice, not a market price: 50 $/kg of missing qualifying supply, above the cost "
                         "gap between any domestic/FTA source and the cheapest import, so soft targets bind unless "
                         "no qualifying supply can be had")

# substitution groups [E]
GRAPHITE_GROUP = E("SG 50-100%, NG 0-50% of the graphite", "", "issue 12 §5; §1.1; §1.3",
                   "natural graphite between 0% and 50% of a cell's graphite (the issue's example; natural graphite "
                   "was 10-20% of Chinese anode use, §1.1, and is favoured by North-American projects, §1.3)")
NICKEL_GROUP = E("NCA 50-100%, NMC811 0-50% in NV", "", "§2.3",
                 "Panasonic's Nevada 2170 cells are NCA/NCM (§2.3): NMC811 may stand in for up to half of the NCA")

# plants: the default instance's figures, plus the operating columns [E]
SYRAH_AVOIDABLE = E(0.7, "share", "assumption", "70% of the fixed O&M avoidable in a mothballed year (staff "
                                                 "furloughed, utilities off; insurance, site and a care crew stay)")
SYRAH_RESTART = E(3_000_000, "$", "assumption", "restart after a mothballed year: recommissioning and requalifying "
                                               "batches")
EPSILON_CANCEL = E(30_000_000, "$", "assumption", "cancellation cost ~5% of the $650 M capex: contract "
                                                  "break fees and site restoration")
BASF = dict(
    cap=E(5, "kt/yr", "§3.1", "BASF Elyria OH: 'small legacy NCM plant, operating' [S]; capacity not given: 5 kt [E]"),
    fom=E(4, "$M/yr", "§3.1", "fixed O&M of the legacy plant [E]"),
    var=E(23.0, "$/kg", "§4.1; §8.2", "legacy small-scale NCM: above the §8.2 NMC811 plants (20-21 $/kg) [E]"),
    retire=E(5_000_000, "$", "assumption", "early retirement: severance and decommissioning"),
)
VIANODE = dict(
    cap=S(35, "kt/yr", f"{UPDATE} §1", "phase 1 committed: 35 kt/yr from late 2028"),
    capex=D(1460, "$M", f"{UPDATE} §1", "initial investment about C$2 B / 1.37 CAD/USD"),
    online=S(2028, "year", f"{UPDATE} §1", "late 2028 (pushed back from 2027)"),
)
OFFTAKES = (
    ("OT-GM-VIANODE", "A08-1", "OH",
     S("2027-2033", "years", f"{UPDATE} §1; {us.VIA}", "Vianode-GM offtake agreement for synthetic graphite, 2027-2033"),
     E(15_000, "t/yr", f"{UPDATE} §1", "no volume published: 15 kt/yr minimum, 35 kt/yr maximum (phase 1) [E]"),
     35_000, S(7.1, "$/kg", "§8.3", "I11 Canadian synthetic graphite price (Vianode)")),
    ("OT-TESLA-SYRAH", "A01", "NV",
     S("8 kt/yr if qualified", "", f"{UPDATE} §1; {us.SYR}", "Syrah-Tesla offtake 8 kt/yr, qualification deadline "
                                                              "extended to 16 March 2026"),
     E(8_000, "t/yr", f"{UPDATE} §1", "8 kt/yr [S], taken from 2028 (qualification of the plant's output for Tesla "
                                      "assumed to take until then) [E]"),
     8_000, D(4.1 * 1.35, "$/kg", "§8.3", "priced at the landed Chinese natural graphite it replaces (I04 x 1.35) [E]")),
)


def tables() -> Tables:
    """The demonstration instance as records per sheet."""
    src = us._Sources()
    src.add("instance", "demonstration of issue 12 §4-5", "E", "issue 12",
            "assumption: a small instance built to show offtakes, mothballing, cancellation, early retirement and "
            "substitution groups; figures from us-active-materials.md (§) and its 2026 update where they exist")
    src.use("settings first_year / last_year", HORIZON)
    dr = src.use("settings discount_rate", us.DISCOUNT_RATE)
    settings = [
        {"parameter": "title", "value": TITLE},
        {"parameter": "first_year", "value": FIRST_YEAR},
        {"parameter": "last_year", "value": LAST_YEAR},
        {"parameter": "base_year", "value": FIRST_YEAR},
        {"parameter": "discount_rate", "value": dr},
        {"parameter": "currency", "value": "USD"},
        {"parameter": "penalty_unmet_demand", "value": src.use("settings penalty_unmet_demand", PENALTY_UNMET)},
        {"parameter": "penalty_localization",
         "value": src.use("settings penalty_localization", PENALTY_LOCALIZATION)},
        {"parameter": "penalty_offtake", "value": src.use("settings penalty_offtake", PENALTY_OFFTAKE)},
    ]
    commodities = [{"commodity": c, "family": f, "name": n, "description": d}
                   for c, f, n, d in us.COMMODITIES if c in ("NMC811", "NCA", "SG", "NG")]
    regions, coords = _regions(src)
    intensity, cell = _demand(src)
    projects = _projects(src)
    offtakes = _offtakes(src)
    substitution = _substitution(src)
    contracts = _contracts(src)
    transport = _transport(src, coords)
    policy = _policy(src)
    overrides = [{"case": "no_agreements", "sheet": "offtakes", "filter": "", "operation": "remove",
                  "note": "without the offtake agreements: the plants are free to idle"}]
    return {"settings": settings, "commodities": commodities, "regions": regions, "intensity": intensity,
            "cell_demand": cell, "substitution": substitution, "projects": projects, "offtakes": offtakes,
            "contracts": contracts, "transport": transport, "policy": policy, "overrides": overrides,
            "sources": src.rows}


def _regions(src: us._Sources) -> tuple[list[dict[str, Any]], dict[str, tuple[float, float]]]:
    keep = {"NV", "OH", "TN", "LA", "NC", "ON"}
    coords = {rid: ll for rid, _n, ll, _d in (*us.NODES, *us.US_SITES, *us.CA_SITES) if rid in keep}
    out = []
    for rid, name, (lat, lon), desc in (*us.NODES, *us.US_SITES):
        if rid in keep:
            src.use(f"regions {rid} centroid", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§2.3; §3", us.COORD_NOTE))
            out.append({"region": rid, "name": name, "domestic": True, "fta": False, "feoc": False, "description": desc})
    src.use("regions ON flags", us.CANADA_FLAGS)
    for rid, name, (lat, lon), desc in us.CA_SITES:
        if rid in keep:
            src.use(f"regions {rid} centroid", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§3", us.COORD_NOTE))
            out.append({"region": rid, "name": name, "domestic": False, "fta": True, "feoc": False, "description": desc})
    for rid, name, fta, feoc, desc in us.ORIGINS:
        if rid in ("China", "Korea", "Japan"):
            out.append({"region": rid, "name": name, "domestic": False, "fta": src.use(f"regions {rid} fta", fta),
                        "feoc": src.use(f"regions {rid} feoc", feoc), "description": desc})
    return out, coords


def _demand(src: us._Sources) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    graphite = src.use("intensity graphite (NCA, NMC811)", GRAPHITE_T_PER_GWH)
    syn = src.use("intensity synthetic share of graphite", SYNTHETIC_SHARE)
    intensity = []
    for chem, fig in CAM_T_PER_GWH.items():
        intensity.append({"chemistry": chem, "commodity": chem, "year": None,
                          "t_per_gwh": src.use(f"intensity {chem} CAM", fig)})
        intensity += [{"chemistry": chem, "commodity": "SG", "year": None, "t_per_gwh": round(graphite * syn, 4)},
                      {"chemistry": chem, "commodity": "NG", "year": None, "t_per_gwh": round(graphite * (1 - syn), 4)}]
    cell = []
    for region, chem, fig in DEMAND:
        gwh = src.use(f"cell_demand {region} {chem}", fig)
        cell += [{"region": region, "year": y, "segment": chem, "gwh": gwh} for y in YEARS]
    return intensity, cell


def _plant(pid: str) -> us.Plant:
    return next(p for p in us.PLANTS if p.id == pid)


def _projects(src: us._Sources) -> list[dict[str, Any]]:
    lifetime = src.use("projects lifetime (all)", us.LIFETIME)
    fom_share = src.use("projects fixed_om_per_unit (all but BASF)", us.FOM_SHARE)
    ramp = src.use("projects ramp_up (all)", us.RAMP_DEFAULT)
    out = []

    def row(p: us.Plant, status: str, start: int, build: int, **kw: Any) -> dict[str, Any]:
        item = f"projects {p.id}"
        rec = {"project": p.id, "name": p.name, "site": p.site, "commodity": p.commodity, "status": status,
               "units_max": 1, "capacity_per_unit": src.use(f"{item} capacity", p.cap) * 1000,
               "capex_per_unit": 0.0, "fixed_om_per_unit": 0.0,
               "variable_cost": src.use(f"{item} variable cost", p.var) * 1000, "earliest_start": start,
               "construction_years": build, "qualification_years": src.use(f"{item} qualification years", p.qual),
               "ramp_up": ramp, "lifetime": lifetime, "eligible_45x": False, "description": p.note}
        rec.update(kw)
        return rec

    lgc = _plant("C01")
    capex = src.use("projects C01 capex", lgc.capex) * 1e6
    out.append(row(lgc, "committed", 2023, 3, capex_per_unit=capex, fixed_om_per_unit=round(fom_share * capex)))
    syr = _plant("A01")
    basis = src.use("projects A01 fixed O&M basis", syr.fom_basis) * 1e6
    out.append(row(syr, "existing", 2025, 0, fixed_om_per_unit=round(fom_share * basis),
                   fixed_om_avoidable=src.use("projects A01 fixed_om_avoidable", SYRAH_AVOIDABLE),
                   restart_cost=src.use("projects A01 restart_cost", SYRAH_RESTART)))
    eps = _plant("A06-1")
    capex = src.use("projects A06-1 capex", eps.capex) * 1e6
    src.add("projects A06-1 construction", "2024-2026, online 2027", "D", "§8.2",
            "2.5 build years rounded up to 3, online 2027 [S]: started 2024, two thirds of the capex spent before 2026 "
            "(2024, 2025), the 2026 third not yet")
    out.append(row(eps, "committed", 2024, 3, capex_per_unit=capex, fixed_om_per_unit=round(fom_share * capex),
                   credit_48c_awarded=src.use("projects A06-1 credit_48c_awarded", eps.credit_48c) * 1e6,
                   cancellable=True, cancellation_cost=src.use("projects A06-1 cancellation_cost", EPSILON_CANCEL)))
    via = _plant("A08")
    cap = src.use("projects A08-1 capacity (phase 1)", VIANODE["cap"]) * 1000
    capex = src.use("projects A08-1 capex (phase 1)", VIANODE["capex"]) * 1e6
    online = src.use("projects A08-1 online", VIANODE["online"])
    rec = row(via, "committed", online - 3, 3, capex_per_unit=capex, fixed_om_per_unit=round(fom_share * capex))
    rec.update(project="A08-1", name="Vianode St. Thomas ON phase 1 (synthetic)", capacity_per_unit=cap,
               description="phase 1 of A08 (late-2026 update): 35 kt/yr from late 2028; GM offtake")
    out.append(rec)
    cap = src.use("projects BASF capacity", BASF["cap"]) * 1000
    out.append({"project": "BASF", "name": "BASF Elyria OH (legacy NCM)", "site": "OH", "commodity": "NMC811",
                "status": "existing", "units_max": 1, "capacity_per_unit": cap, "capex_per_unit": 0.0,
                "fixed_om_per_unit": src.use("projects BASF fixed O&M", BASF["fom"]) * 1e6,
                "variable_cost": src.use("projects BASF variable cost", BASF["var"]) * 1000, "earliest_start": 2012,
                "construction_years": 0, "qualification_years": 0, "lifetime": 30, "eligible_45x": False,
                "early_retirement": True, "retirement_cost": src.use("projects BASF retirement_cost", BASF["retire"]),
                "description": "small legacy NCM plant (DOE $24.6 M, 2012), §3.1; lifetime 30 yr [E]"})
    return out


def _offtakes(src: us._Sources) -> list[dict[str, Any]]:
    out = []
    for oid, project, buyer, term, minimum, maximum, price in OFFTAKES:
        src.use(f"offtakes {oid} agreement", term)
        first = 2027 if oid == "OT-GM-VIANODE" else 2028
        out.append({"offtake": oid, "project": project, "buyer_region": buyer,
                    "min_t": src.use(f"offtakes {oid} min_t", minimum), "max_t": maximum, "first_year": first,
                    "last_year": None, "price": src.use(f"offtakes {oid} price", price) * 1000,
                    "description": term.note})
    return out


def _substitution(src: us._Sources) -> list[dict[str, Any]]:
    src.use("substitution graphite", GRAPHITE_GROUP)
    src.use("substitution nickel_cam (NV)", NICKEL_GROUP)
    return [
        {"group": "graphite", "commodity": "SG", "min_share": 0.5, "max_share": 1.0, "t_per_t": 1.0},
        {"group": "graphite", "commodity": "NG", "min_share": 0.0, "max_share": 0.5, "t_per_t": 1.0},
        {"group": "nickel_cam", "commodity": "NCA", "min_share": 0.5, "max_share": 1.0, "t_per_t": 1.0, "region": "NV"},
        {"group": "nickel_cam", "commodity": "NMC811", "min_share": 0.0, "max_share": 0.5, "t_per_t": 1.0,
         "region": "NV"},
    ]


def _contracts(src: us._Sources) -> list[dict[str, Any]]:
    out = []
    for imp in us.IMPORTS:
        if imp.id not in ("I01", "I03", "I04", "I05", "I06", "I16"):
            continue
        item = f"contracts {imp.id}"
        mx = None if imp.max_kt is None else src.use(f"{item} max_volume", imp.max_kt) * 1000
        out.append({"contract": imp.id, "origin": imp.origin, "commodity": imp.commodity,
                    "price": src.use(f"{item} price", imp.price) * 1000, "max_volume": mx,
                    "feoc": src.use(f"{item} feoc", imp.feoc), "description": imp.note})
    return out


def _transport(src: us._Sources, coords: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    src.use("transport inland freight", us.FREIGHT)
    src.use("transport road factor", us.ROAD_FACTOR)
    src.use("transport port rule", us.PORT_RULE)
    places = sorted(coords)
    out = []
    for i, a in enumerate(places):
        for b in places[i + 1:]:
            out.append({"from_region": a, "to_region": b, "cost_per_t": us._freight(coords[a], coords[b]),
                        "both_ways": True})
    for origin in ("China", "Korea", "Japan"):
        for b in ("NV", "OH"):
            out.append({"from_region": origin, "to_region": b,
                        "cost_per_t": min(us._freight(p, coords[b]) for p in us.PORTS.values()), "both_ways": False})
    return out


def _policy(src: us._Sources) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for origin, com, by_case, fig in us.TARIFFS:
        if origin not in ("China", "Korea", "Japan"):
            continue
        src.use(f"policy tariff {origin} {com or 'all'}", fig)
        law = by_case["current_law"][1]
        high = by_case["china_tariffs_high"][1]
        rows.append({"parameter": "tariff", "year": None, "region": origin, "commodity": com,
                     "current_law": law, "no_agreements": None, "china_tariffs_high": high,
                     "description": "2026+ rates of the default instance's cases current_law and china_tariffs_high"})
    rows.append({"parameter": "extends", "year": None, "region": None, "commodity": None, "current_law": None,
                 "no_agreements": "current_law", "china_tariffs_high": None,
                 "description": "no_agreements: current law without the offtake agreements (overrides)"})
    return rows


def default_path() -> Path:
    from planner.resources import checkout_dir

    return checkout_dir("instances") / FILE_NAME


def main() -> None:
    from planner.export.instance_xlsx import write_instance

    print(f"wrote {write_instance(tables(), default_path())}")


if __name__ == "__main__":
    main()

__all__ = ["CASES", "FILE_NAME", "Fig", "tables", "default_path"]
