"""Synthetic instances for performance work: reproducible from a seed, shaped like the default instance.

`generate_tables(projects=, regions=, years=, commodities=, contracts=, seed=)` draws an instance
with the structure and the magnitudes of the bundled default (`us_active_materials`), at any size;
`generate(path, ...)` writes it as a bare (undocumented) instance workbook. The same seed and
arguments always give the same tables (one `numpy.random.default_rng` stream per part of the
instance, so that e.g. more contracts do not change the projects).

What the arguments count
------------------------
* ``regions``: R domestic (U.S.) demand regions, ``R01``.., placed at random on a 4,000 x 2,000 km
  map. On top of them come six supply-origin countries (China FEOC; Korea, Japan, Morocco FTA;
  Indonesia, India neither) and, when R >= 6, FTA plant-site regions north of the map (Canada-like,
  ``CA1``..; max(2, R // 25) of them). `planner info` therefore shows R + 6 (+ sites) regions.
* ``commodities``: CAM and AAM commodities, about 60/40 (``CAM01``.., ``AAM01``..; at least one of
  each from 2 on), each drawn from an archetype of the default instance (high-Ni NMC/NCA, LFP-type,
  mid-Ni; synthetic graphite, natural graphite, silicon-carbon). With 4 or more, one precursor
  commodity ``PRE01`` (pCAM-like, with a market price) is added on top, consumed by a few high-Ni
  plants through recipes.
* ``projects``: plants (JV variants come on top): ~5% existing, ~5% committed, the rest candidates.
* ``contracts``: import contracts. The first ones give every CAM/AAM commodity an unlimited China
  contract (cheapest, FEOC; Si-C-type from Japan: the default has no Chinese Si-C imports); the rest
  come from all origins with volume limits that together offer about a commodity's first-year demand
  (10% unlimited), ~15% with take-or-pay (10-30% of the maximum), ~15% with a signing fee, a few
  starting later (half of those with a ramp row in contract_terms).
* ``years``: horizon length from ``first_year``; ``cases``: policy cases (3: current_law,
  no_credits, strict_localization; more add high China tariffs, an IRA-2022-like case with a 48C
  round, a high-demand case with overrides, then tariff/target variants).

Magnitudes (all per the default instance, see its sources): capacities 10-150 kt/yr per plant
(modules 10-30 kt), capex $13-56k per t/yr, fixed O&M 3% of capex, variable cost $4-40/kg by
archetype, construction 0-3 yr, qualification 1-2 yr, ramp-up 0.4/0.7/0.9/0.95, lifetime 20 yr,
demand 15-60 kt per commodity in the first year (Si-C-type 5-15 kt) growing 8-15%/yr (halved after ten
years; some regions start later), as material_demand plus a small cell_demand/chemistry_mix/intensity part,
transport $100/t per 1,000 km of road (1.2 x straight line), every pair of domestic/site regions
linked when there are at most 16 of them, else each one to its 8 nearest (both ways, plus the
shortest links that keep the network connected); each origin linked one way to every demand region
at its ocean freight plus the inland freight from the nearer port. A quarter of the candidates have
a cost advantage (capex x0.7-0.9, variable cost x0.93-0.98) and 30% of plants a mostly non-PFE supply
chain, so that current law builds a few plants, as stricter cases build many more.

`size_preset(name)` gives the arguments of the sizes S, M, L, XL (M ~ 50k, L ~ 250k, XL ~ 1M model
variables); `model_size(tables)` counts the model's variables and rows
without building it.

    python -m planner.datasets.synthetic M -o synthetic-M.xlsx   # a size preset
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Tables = dict[str, list[dict[str, Any]]]

GENERATOR = "planner.datasets.synthetic.generate_tables"

MAP_KM = (4000.0, 2000.0)  # width (west-east), height (south-north) of the domestic map
FREIGHT = 0.10  # $/t per road km ($100/t per 1,000 km)
ROAD_FACTOR = 1.2  # road km per straight-line km
NEIGHBOURS = 8  # links per domestic/site region when the network is sparse
ALL_PAIRS_MAX = 16  # up to this many domestic + site regions, every pair is linked
DISCOUNT_RATE = 0.08
FOM_SHARE = 0.03
RAMP = "0.4;0.7;0.9;0.95"
LIFETIME = 20
PENALTY_UNMET = 250_000.0
PENALTY_LOCALIZATION = 50_000.0

# origin: (fta, feoc, ocean freight $/t to a U.S. port, ports it can land at, price factor vs China)
ORIGINS: dict[str, tuple[bool, bool, float, tuple[str, ...], tuple[float, float]]] = {
    "China": (False, True, 90.0, ("West", "East"), (0.97, 1.03)),
    "Korea": (True, False, 80.0, ("West", "East"), (1.10, 1.20)),
    "Japan": (True, False, 80.0, ("West", "East"), (1.12, 1.22)),
    "Indonesia": (False, False, 100.0, ("West", "East"), (1.04, 1.10)),
    "Morocco": (True, False, 60.0, ("East",), (1.08, 1.16)),
    "India": (False, False, 110.0, ("West", "East"), (1.15, 1.30)),
}
ORIGIN_WEIGHTS = {"China": 0.15, "Korea": 0.25, "Japan": 0.2, "Indonesia": 0.15, "Morocco": 0.1, "India": 0.15}
FEOC_SUPPLIER_SHARE = {"Indonesia": 0.6, "Morocco": 0.5}  # Chinese-owned suppliers in non-FEOC countries
PORTS = {"West": (150.0, 900.0), "East": (3850.0, 800.0)}  # km on the map


@dataclass(frozen=True)
class Archetype:
    """Cost and size ranges of one kind of commodity, from the default instance."""

    label: str
    family: str
    var: tuple[float, float]  # $/t variable cost of a domestic plant
    capex: tuple[float, float]  # $ per t/yr of capacity
    cap: tuple[float, float]  # t/yr of a single-unit plant
    china: tuple[float, float]  # $/t China price (delivered to a U.S. port); other origins relative to it
    pfe: float  # pfe_cost_share
    demand: tuple[float, float]  # t in the first year, all regions
    from_china: bool = True  # China offers contracts (no Si-C imports from China in the default instance)


CAM_TYPES = (
    Archetype("high-Ni NMC/NCA", "CAM", (19_500, 21_500), (22_000, 30_000), (20_000, 60_000), (17_000, 18_500),
              0.25, (25_000, 60_000)),
    Archetype("LFP-type", "CAM", (5_800, 7_500), (14_000, 20_000), (20_000, 50_000), (4_100, 5_500), 0.30,
              (20_000, 50_000)),
    Archetype("mid-Ni NMC", "CAM", (17_000, 19_000), (22_000, 28_000), (20_000, 40_000), (14_500, 15_500), 0.25,
              (15_000, 30_000)),
)
AAM_TYPES = (
    Archetype("synthetic graphite", "AAM", (7_000, 8_000), (17_000, 25_000), (20_000, 150_000), (3_600, 4_200),
              0.10, (25_000, 55_000)),
    Archetype("natural graphite", "AAM", (6_500, 7_200), (13_000, 18_000), (10_000, 45_000), (3_800, 4_300), 0.0,
              (15_000, 35_000)),
    Archetype("silicon-carbon", "AAM", (35_000, 40_000), (50_000, 56_000), (10_000, 20_000), (36_000, 40_000),
              0.05, (5_000, 15_000), from_china=False),
)
ADVANTAGED = 0.25  # share of candidates with a cost advantage (capex x0.7-0.9, variable cost x0.93-0.98)
LOW_PFE = 0.3  # share of plants with a mostly non-PFE supply chain (pfe_cost_share x0.4: 45X passes MACR)
CAPEX_PER_T = (13_000.0, 56_000.0)  # $ per t/yr, the range of the default instance
PRECURSOR_PRICE = (11_000.0, 13_000.0)  # $/t pCAM-like precursor, market price
RECIPE_T_PER_T = (0.95, 1.05)

#: generator arguments of the size presets; targets are the model's variable counts (first case)
SIZE_TARGETS = {"S": None, "M": 50_000, "L": 250_000, "XL": 1_000_000}
_PRESETS: dict[str, dict[str, int]] = {
    "S": dict(projects=30, regions=10, years=11, commodities=8, contracts=16, seed=1),
    "M": dict(projects=200, regions=24, years=16, commodities=8, contracts=40, seed=1),
    "L": dict(projects=600, regions=72, years=21, commodities=10, contracts=80, seed=1),
    "XL": dict(projects=1700, regions=200, years=26, commodities=12, contracts=150, seed=1),
}


def size_preset(name: str) -> dict[str, int]:
    """Generator arguments of a size preset: S (a quick solve), M ~ 50k, L ~ 250k, XL ~ 1M variables."""
    key = name.strip().upper()
    if key not in _PRESETS:
        raise ValueError(f"unknown size preset '{name}'; choose one of {', '.join(_PRESETS)}")
    return dict(_PRESETS[key])


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _stream(seed: int, part: int) -> np.random.Generator:
    """An independent random stream per part of the instance."""
    return np.random.default_rng([int(seed), part])


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _width(n: int) -> int:
    return max(2, len(str(n)))


def _freight(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(round(math.dist(a, b) * ROAD_FACTOR * FREIGHT, 0))


@dataclass(frozen=True)
class _Commodity:
    id: str
    arch: Archetype
    demand0: float  # t in the first year
    growth: float  # per year, first ten years


@dataclass
class _World:
    first: int
    last: int
    years: tuple[int, ...]
    commodities: list[_Commodity]
    precursor: str | None
    domestic: list[str]
    sites: list[str]  # FTA plant-site regions
    xy: dict[str, tuple[float, float]]
    links: list[tuple[str, str]]  # undirected domestic/site links (a, b) in generation order
    neighbours: dict[str, list[str]]  # linked regions, by distance
    weight: dict[str, float]  # demand weight of each domestic region


# --------------------------------------------------------------------------------------------
# the parts
# --------------------------------------------------------------------------------------------


def _commodities(n: int, seed: int) -> tuple[list[_Commodity], str | None]:
    rng = _stream(seed, 1)
    n_cam = 1 if n <= 1 else max(1, min(n - 1, round(0.6 * n)))
    out = []
    for i in range(n):
        fam_i = i if i < n_cam else i - n_cam
        arch = (CAM_TYPES if i < n_cam else AAM_TYPES)[fam_i % 3]
        cid = f"{arch.family}{fam_i + 1:02d}"
        out.append(_Commodity(cid, arch, round(_u(rng, arch.demand), -2), float(rng.uniform(0.08, 0.15))))
    return out, ("PRE01" if n >= 4 else None)


def _map(regions: int, seed: int) -> tuple[list[str], list[str], dict[str, tuple[float, float]], dict[str, float]]:
    rng = _stream(seed, 2)
    w = _width(regions)
    domestic = [f"R{i + 1:0{w}d}" for i in range(regions)]
    xy: dict[str, tuple[float, float]] = {}
    weight: dict[str, float] = {}
    for r in domestic:
        xy[r] = (round(float(rng.uniform(0, MAP_KM[0])), 1), round(float(rng.uniform(0, MAP_KM[1])), 1))
        weight[r] = float(rng.lognormal(0.0, 0.75))
    n_sites = 0 if regions < 6 else max(2, regions // 25)
    sites = [f"CA{i + 1}" for i in range(n_sites)]
    for s in sites:  # Canada-like: along the northern edge of the map, east of the middle mostly
        xy[s] = (round(float(rng.uniform(0.3, 1.0) * MAP_KM[0]), 1), round(float(rng.uniform(2050, 2400)), 1))
    return domestic, sites, xy, weight


def _network(nodes: list[str], xy: dict[str, tuple[float, float]]
             ) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """Undirected links between domestic and site regions: all pairs when few, else each region's k nearest,
    plus the shortest links that make the network connected. Also each region's linked regions by distance."""
    n = len(nodes)
    pts = np.array([xy[r] for r in nodes], dtype=float).reshape(n, 2)
    dist = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)) if n else np.zeros((0, 0))
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()

    def add(i: int, j: int) -> None:
        key = (min(i, j), max(i, j))
        if i != j and key not in seen:
            seen.add(key)
            pairs.append(key)

    if n <= ALL_PAIRS_MAX:
        for i in range(n):
            for j in range(i + 1, n):
                add(i, j)
    else:
        for i in range(n):
            order = np.argsort(dist[i], kind="stable")
            for j in order[1:NEIGHBOURS + 1]:
                add(i, int(j))
        # join components by their shortest link until the network is connected
        parent = list(range(n))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in pairs:
            parent[find(i)] = find(j)
        while True:
            comp = np.array([find(i) for i in range(n)])
            if (comp == comp[0]).all():
                break
            inside = comp == comp[0]
            sub = np.where(inside[:, None] & ~inside[None, :], dist, np.inf)
            i, j = np.unravel_index(int(np.argmin(sub)), sub.shape)
            add(int(i), int(j))
            parent[find(int(i))] = find(int(j))
    links = [(nodes[i], nodes[j]) for i, j in pairs]
    nb: dict[str, list[tuple[float, str]]] = {r: [] for r in nodes}
    for i, j in pairs:
        nb[nodes[i]].append((float(dist[i, j]), nodes[j]))
        nb[nodes[j]].append((float(dist[i, j]), nodes[i]))
    return links, {r: [b for _d, b in sorted(v)] for r, v in nb.items()}


def _settings(w: _World, title: str) -> list[dict[str, Any]]:
    return [
        {"parameter": "title", "value": title},
        {"parameter": "first_year", "value": w.first},
        {"parameter": "last_year", "value": w.last},
        {"parameter": "base_year", "value": w.first},
        {"parameter": "discount_rate", "value": DISCOUNT_RATE},
        {"parameter": "currency", "value": "USD"},
        {"parameter": "penalty_unmet_demand", "value": PENALTY_UNMET},
        {"parameter": "penalty_localization", "value": PENALTY_LOCALIZATION},
    ]


def _commodity_rows(w: _World, seed: int) -> list[dict[str, Any]]:
    out = [{"commodity": c.id, "family": c.arch.family, "name": f"{c.id} ({c.arch.label}-type)",
            "market_price": None, "description": f"synthetic, archetype {c.arch.label}"} for c in w.commodities]
    if w.precursor:
        price = round(_u(_stream(seed, 3), PRECURSOR_PRICE), -1)
        out.append({"commodity": w.precursor, "family": "precursor", "name": "pCAM-type precursor",
                    "market_price": price, "description": "bought at its market price by high-Ni plants with a recipe"})
    return out


def _region_rows(w: _World) -> list[dict[str, Any]]:
    out = []
    for r in w.domestic:
        x, y = w.xy[r]
        out.append({"region": r, "name": f"Demand region {r}", "domestic": True, "fta": False, "feoc": False,
                    "description": f"U.S. cell-plant cluster at ({x:.0f}, {y:.0f}) km"})
    for r in w.sites:
        x, y = w.xy[r]
        out.append({"region": r, "name": f"FTA plant site {r}", "domestic": False, "fta": True, "feoc": False,
                    "description": f"Canada-like plant site at ({x:.0f}, {y:.0f}) km: counts as FTA, no 45X"})
    for o, (fta, feoc, *_rest) in ORIGINS.items():
        out.append({"region": o, "name": o, "domestic": False, "fta": fta, "feoc": feoc,
                    "description": "supply origin (country)"})
    return out


def _demand(w: _World, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                                          list[dict[str, Any]]]:
    """(intensity, chemistry_mix, cell_demand, material_demand)."""
    rng = _stream(seed, 4)
    n = len(w.years)
    total_w = sum(w.weight.values())
    # regions: a growth offset and, for some, demand that starts later (a new cluster)
    offset = {r: float(rng.uniform(-0.03, 0.03)) for r in w.domestic}
    start = {r: w.first for r in w.domestic}
    for r in w.domestic[1:]:
        if rng.random() < 0.2 and n > 3:
            start[r] = w.first + int(rng.integers(1, max(2, n // 3)))

    def path(base: float, g: float, r: str, y: int) -> float:
        if y < start[r]:
            return 0.0
        t = y - w.first
        early = min(t, 10)
        return base * (1 + g + offset[r]) ** early * (1 + (g + offset[r]) / 2) ** (t - early)

    material = []
    for c in w.commodities:
        noise = {r: float(rng.uniform(0.85, 1.15)) for r in w.domestic}
        for r in w.domestic:
            base = c.demand0 * w.weight[r] / total_w * noise[r]
            for y in w.years:
                t = path(base, c.growth, r, y)
                if t > 0:
                    material.append({"region": r, "year": y, "commodity": c.id, "tonnes": round(t, 1)})
    # a small cell-demand part: segment EV of two chemistries in up to three regions
    cams = [c.id for c in w.commodities if c.arch.family == "CAM"]
    aams = [c.id for c in w.commodities if c.arch.family == "AAM"]
    cam_a, cam_b = cams[0], cams[1] if len(cams) > 1 else cams[0]
    intensity = []
    if w.first < w.last:
        intensity += [{"chemistry": "NMC-A", "commodity": cam_a, "year": w.first, "t_per_gwh": 1450.0},
                      {"chemistry": "NMC-A", "commodity": cam_a, "year": w.last, "t_per_gwh": 1350.0}]
    else:
        intensity.append({"chemistry": "NMC-A", "commodity": cam_a, "year": None, "t_per_gwh": 1400.0})
    intensity.append({"chemistry": "LFP-B", "commodity": cam_b, "year": None, "t_per_gwh": 2100.0})
    if aams:
        intensity += [{"chemistry": "NMC-A", "commodity": aams[0], "year": None, "t_per_gwh": 950.0},
                      {"chemistry": "LFP-B", "commodity": aams[0], "year": None, "t_per_gwh": 1050.0}]
    mix = []
    for y, a in ((w.first, 0.7), (w.last, 0.55)) if w.first < w.last else ((w.first, 0.7),):
        mix += [{"segment": "EV", "year": y, "chemistry": "NMC-A", "share": a},
                {"segment": "EV", "year": y, "chemistry": "LFP-B", "share": round(1 - a, 10)}]
    cell = []
    for r in sorted(w.domestic, key=lambda r: -w.weight[r])[:3]:
        g0, g = float(rng.uniform(3.0, 8.0)), float(rng.uniform(0.08, 0.15))
        for y in w.years:
            gwh = path(g0, g, r, y)
            if gwh > 0:
                cell.append({"region": r, "year": y, "segment": "EV", "gwh": round(gwh, 3)})
    return intensity, mix, cell, material


def _lead_times(rng: np.random.Generator, n_years: int) -> tuple[int, int]:
    """Construction and qualification years, shortened so that a plant can qualify within the horizon."""
    build = int(rng.choice([0, 1, 2, 3], p=[0.05, 0.2, 0.4, 0.35]))
    qual = int(rng.choice([1, 2], p=[0.4, 0.6]))
    while build + qual > n_years - 1:
        if build >= qual and build > 0:
            build -= 1
        else:
            qual -= 1
    return build, qual


def _projects(w: _World, n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                     list[dict[str, Any]]]:
    """(projects, recipes, joint_ventures)."""
    rng = _stream(seed, 5)
    n_years = len(w.years)
    n_fixed = n // 10
    n_existing = (n_fixed + 1) // 2
    by_id = {c.id: c for c in w.commodities}
    demand_share = np.array([c.demand0 for c in w.commodities], dtype=float)
    demand_share /= demand_share.sum()
    dom_w = np.array([w.weight[r] for r in w.domestic], dtype=float)
    dom_w = (dom_w / dom_w.sum()) * 0.7 + 0.3 / len(w.domestic)
    width = _width(n)
    projects: list[dict[str, Any]] = []
    recipes: list[dict[str, Any]] = []
    jvs: list[dict[str, Any]] = []
    prev: dict[str, Any] | None = None  # the previous candidate, for exclusive pairs
    groups = 0
    for i in range(n):
        pid = f"P{i + 1:0{width}d}"
        status = "existing" if i < n_existing else "committed" if i < n_fixed else "candidate"
        cand = status == "candidate"
        pair = cand and prev is not None and prev["exclusive_group"] is None and rng.random() < 0.1
        if i < len(w.commodities):
            com = w.commodities[i]
        elif pair:
            assert prev is not None
            fam = [c for c in w.commodities if c.arch.family == by_id[prev["commodity"]].arch.family]
            com = fam[int(rng.integers(len(fam)))]
        else:
            com = w.commodities[int(rng.choice(len(w.commodities), p=demand_share))]
        arch = com.arch
        if pair:
            assert prev is not None
            site = prev["site"]
        elif w.sites and rng.random() < 0.1:
            site = w.sites[int(rng.integers(len(w.sites)))]
        else:
            site = w.domestic[int(rng.choice(len(w.domestic), p=dom_w))]
        domestic = site in w.weight
        units = 1
        if cand and rng.random() < 0.2:
            units = int(rng.integers(2, 7))
            cap = round(float(rng.uniform(10_000, 30_000)), -3)
        else:
            cap = round(_u(rng, arch.cap), -3)
        capex_t = _u(rng, arch.capex) * (1.05 if not domestic else 1.0)
        var = _u(rng, arch.var)
        notes = ["synthetic"]
        if cand and rng.random() < ADVANTAGED:
            capex_t *= float(rng.uniform(0.7, 0.9))
            var *= float(rng.uniform(0.93, 0.98))
            notes.append("brownfield/integrated site: lower capex and variable cost")
        capex_t = min(max(capex_t, CAPEX_PER_T[0]), CAPEX_PER_T[1])
        build, qual = _lead_times(rng, n_years)
        feoc_owned = cand and domestic and rng.random() < 0.04
        pfe = min(0.6, max(0.0, arch.pfe + float(rng.normal(0.0, 0.03))))
        if rng.random() < LOW_PFE:
            pfe *= 0.4
            notes.append("non-PFE precursor supply")
        pfe += 0.3 if feoc_owned else 0.0
        grant = 0.0
        credit48 = 0.0
        latest = None
        if status == "existing":
            start = w.first - int(rng.integers(build + qual, build + qual + 6))
            capex = 0.0  # sunk
            var = min(var * 1.03, 40_000.0)  # an older plant
        elif status == "committed":
            start = w.first + int(rng.integers(-2, 2))
            capex = cap * capex_t
            if domestic and rng.random() < 0.3:
                credit48 = round(0.3 * capex, -5)
            elif rng.random() < 0.3:
                grant = round(float(rng.uniform(50e6, 150e6)), -5)
        else:
            hi = w.last - build - qual  # latest start that still qualifies within the horizon
            start = w.first + int(math.floor((hi - w.first + 1) * float(rng.random()) ** 1.5))
            capex = cap * capex_t
            if rng.random() < 0.1 and start < hi:
                latest = min(hi, start + int(rng.integers(2, 7)))
            if rng.random() < 0.03:
                grant = round(float(rng.uniform(50e6, 200e6)), -5)
        fom = FOM_SHARE * cap * capex_t
        rec = {
            "project": pid, "name": f"{arch.label} plant {pid} at {site}", "site": site, "commodity": com.id,
            "status": status, "units_max": units, "capacity_per_unit": cap, "capex_per_unit": round(capex, -3),
            "fixed_om_per_unit": round(fom, -3), "variable_cost": round(var, 0), "earliest_start": start,
            "latest_start": latest, "construction_years": build, "qualification_years": qual, "ramp_up": RAMP,
            "lifetime": LIFETIME, "eligible_45x": domestic, "eligible_48c": domestic and cand,
            "credit_48c_awarded": credit48, "grant": grant, "feoc_owned": feoc_owned,
            "pfe_cost_share": round(pfe, 3), "exclusive_group": None, "description": "; ".join(notes),
        }
        if pair:
            assert prev is not None
            groups += 1
            prev["exclusive_group"] = rec["exclusive_group"] = f"X{groups}"
            rec["description"] += f"; alternative to {prev['project']} at the same site"
        if w.precursor and arch is CAM_TYPES[0] and cand and (rng.random() < 0.15 or not recipes):
            tpt = round(_u(rng, RECIPE_T_PER_T), 3)
            rec["variable_cost"] = round(var - tpt * sum(PRECURSOR_PRICE) / 2 + 500.0, 0)
            rec["description"] += f"; buys {w.precursor} ({tpt} t/t)"
            recipes.append({"project": pid, "input": w.precursor, "t_per_t": tpt})
        projects.append(rec)
        if cand:
            prev = rec
            if rng.random() < 0.1:
                near = ([site] if domestic else []) + [r for r in w.neighbours[site] if r in w.weight][:4]
                if near:
                    partner_region = near[int(rng.integers(len(near)))]
                    jvs.append({
                        "jv": f"{pid}-JV", "project": pid, "partner": f"OEM{int(rng.integers(1, 9))}",
                        "partner_region": partner_region, "equity_share": round(float(rng.uniform(0.3, 0.5)), 2),
                        "qualification_years": qual - 1 if qual >= 2 else None, "feoc_owned": None,
                        "description": "synthetic JV: partner takes its equity share of output to its region",
                    })
    return projects, recipes, jvs


def _contracts(w: _World, n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = _stream(seed, 6)
    n_years = len(w.years)
    china = {c.id: _u(rng, c.arch.china) for c in w.commodities}
    share = np.array([c.demand0 for c in w.commodities], dtype=float)
    share /= share.sum()
    others = list(ORIGIN_WEIGHTS)
    ow = np.array([ORIGIN_WEIGHTS[o] for o in others])
    ow /= ow.sum()
    width = _width(n)
    per_com = max(1.0, (n - len(w.commodities)) / len(w.commodities))
    out: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    for i in range(n):
        kid = f"K{i + 1:0{width}d}"
        cover = i < len(w.commodities)  # the first contracts give every commodity an import source
        if cover:
            com = w.commodities[i]
            origin = "China" if com.arch.from_china else "Japan"
        else:
            com = w.commodities[int(rng.choice(len(w.commodities), p=share))]
            origin = others[int(rng.choice(len(others), p=ow))]
            if origin == "China" and not com.arch.from_china:
                origin = "Korea"
        factor = ORIGINS[origin][4]
        price = round(china[com.id] * _u(rng, factor), -1)
        if cover:  # unlimited, so that no demand is left unmet unless a case bans the supplier
            mx = None
        else:  # together, a commodity's other contracts offer about its first year's demand
            unlimited = rng.random() < 0.1
            mx = None if unlimited else max(5_000.0, round(com.demand0 * float(rng.uniform(0.5, 1.5)) / per_com, -3))
        min_take = 0.0
        fee = 0.0
        if mx is not None and rng.random() < 0.15:
            min_take = round(mx * float(rng.uniform(0.1, 0.3)), -2)
        if rng.random() < 0.15:
            fee = round(float(rng.uniform(1e6, 10e6)), -4)
        first = None
        if n_years > 2 and i >= len(w.commodities) and rng.random() < 0.15:
            first = w.first + int(rng.integers(1, max(2, n_years // 2)))
        feoc = None
        if origin in FEOC_SUPPLIER_SHARE:
            feoc = bool(rng.random() < FEOC_SUPPLIER_SHARE[origin])
        out.append({
            "contract": kid, "origin": origin, "commodity": com.id, "price": price,
            "escalation": round(float(rng.uniform(-0.01, 0.02)), 3), "min_take": min_take, "max_volume": mx,
            "first_year": first, "last_year": None, "signing_fee": fee, "feoc": feoc,
            "description": f"synthetic {origin} supply of {com.id}",
        })
        if mx is not None and first is not None and rng.random() < 0.5:
            terms.append({"contract": kid, "year": first, "price": None,
                          "min_take": min(min_take, round(mx / 2, -2)) if min_take else None,
                          "max_volume": round(mx / 2, -2)})
    return out, terms


def _transport(w: _World) -> list[dict[str, Any]]:
    out = [{"from_region": a, "to_region": b, "commodity": None, "cost_per_t": _freight(w.xy[a], w.xy[b]),
            "both_ways": True} for a, b in w.links]
    for o, (_fta, _feoc, ocean, ports, _f) in ORIGINS.items():
        for r in w.domestic:
            inland = min(_freight(PORTS[p], w.xy[r]) for p in ports)
            out.append({"from_region": o, "to_region": r, "commodity": None, "cost_per_t": ocean + inland,
                        "both_ways": False})
    return out


CASE_ORDER = ("current_law", "no_credits", "strict_localization", "china_tariffs_high", "ira_like", "demand_high")


def _case_names(cases: int) -> list[str]:
    names = list(CASE_ORDER[:cases])
    names += [f"variant_{i}" for i in range(1, cases - len(names) + 1)]
    return names


def _policy(w: _World, cases: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(policy, overrides): current law in the first column; the other cases extend it or stand alone."""
    rng = _stream(seed, 7)
    names = _case_names(cases)
    rows: list[dict[str, Any]] = []
    fams = sorted({c.arch.family for c in w.commodities}, key=["CAM", "AAM"].index)

    def row(param: str, values: dict[str, Any], *, year: int | None = None, region: str | None = None,
            commodity: str | None = None, description: str = "") -> None:
        if not any(values.get(c) is not None for c in names):
            return
        rec = {"parameter": param, "year": year, "region": region, "commodity": commodity, "unit": None,
               "description": description}
        for c in names:
            rec[c] = values.get(c)
        rows.append(rec)

    ext = {c: "current_law" for c in names if c not in ("current_law", "ira_like")}
    row("extends", ext, description="cases that start from current_law")
    # 45X: 10% of production cost, phase-down from the sixth year, MACR threshold rising from the second
    row("x45_rate", {"current_law": 0.10, "no_credits": 0.0, "ira_like": 0.10}, description="45X rate")
    for t, y in enumerate(w.years):
        phase = 1.0 if t < 5 else max(0.0, 1.0 - 0.25 * (t - 4))
        row("x45_phase", {"current_law": phase}, year=y, description="45X phase-down by year of sale")
    row("x45_requires_non_feoc", {"current_law": True, "ira_like": False}, description="no 45X for FEOC-owned plants")
    for t, y in enumerate(w.years):
        macr = (0.0, 0.60, 0.65, 0.70, 0.80)[t] if t < 5 else 0.85
        row("x45_macr_min", {"current_law": macr, "ira_like": 0.0}, year=y, description="45X MACR threshold")
    row("x48c_rate", {"current_law": 0.0, "ira_like": 0.30}, description="no new 48C under current law")
    row("x48c_budget", {"current_law": 0.0, "ira_like": 1.5e9}, description="48C allocation for new awards")
    row("x48c_awarded_paid", {"no_credits": False}, description="48C credits already allocated are not paid")
    row("grant_pool", {"no_credits": 0.0}, description="no grants")
    # tariffs: China 35% on CAM and AAM (ira_like 25%, high 100% / 185%), 10% elsewhere (ira_like 0 on FTA)
    for fam in fams:
        high = 1.0 if fam == "CAM" else 1.85
        row("tariff", {"current_law": 0.35, "china_tariffs_high": high, "ira_like": 0.25}, region="China",
            commodity=fam, description=f"China {fam}")
    for o, (fta, *_rest) in ORIGINS.items():
        if o != "China":
            row("tariff", {"current_law": 0.10, "ira_like": 0.0 if fta else 0.10}, region=o,
                description=f"{o}, all materials")
    # localization: strict case rises to 0.8 from the third year, no FEOC imports from mid-horizon
    n = len(w.years)
    for fam in fams:
        for t, y in enumerate(w.years):
            strict = None if t < 2 else [0.5, 0.65, 0.72][t - 2] if t < 5 else 0.8
            ira = None if t < 1 else round(min(0.5, 0.3 + 0.05 * t), 4)
            row("localization_target", {"strict_localization": strict, "ira_like": ira}, year=y, commodity=fam,
                description=f"{fam} share from qualifying supply")
    for t, y in enumerate(w.years):
        row("feoc_imports_allowed", {"strict_localization": t < max(1, n // 2)}, year=y,
            description="strict_localization: no FEOC imports from mid-horizon")
    # further cases: tariff and target variants of current law
    for c in names[len(CASE_ORDER):]:
        f = round(float(rng.uniform(0.5, 3.0)), 2)
        tgt = round(float(rng.uniform(0.3, 0.8)), 2)
        for fam in fams:
            rows_tariff = [r for r in rows if r["parameter"] == "tariff" and r["region"] == "China"
                           and r["commodity"] == fam]
            rows_tariff[0][c] = round(0.35 * f, 4)
            target = [r for r in rows if r["parameter"] == "localization_target" and r["commodity"] == fam]
            for r in target:
                if r["year"] >= w.first + min(3, n - 1):
                    r[c] = tgt
            if not target and n:
                row("localization_target", {c: tgt}, year=w.last, commodity=fam)
    overrides = []
    if "demand_high" in names:
        mid = w.first + n // 2
        overrides = [
            {"case": "demand_high", "sheet": "material_demand", "filter": f"year>={mid}", "column": "tonnes",
             "operation": "scale", "value": 1.3, "note": "demand 30% higher from mid-horizon"},
            {"case": "demand_high", "sheet": "cell_demand", "filter": f"year>={mid}", "column": "gwh",
             "operation": "scale", "value": 1.3, "note": "cell demand 30% higher from mid-horizon"},
        ]
    return rows, overrides


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------


def generate_tables(*, projects: int, regions: int, years: int, commodities: int, contracts: int, seed: int,
                    first_year: int = 2025, cases: int = 3) -> Tables:
    """A synthetic instance as records per sheet (the shape of `us_active_materials.tables()`).

    Same arguments, same tables. See the module docstring for what each argument counts.
    """
    for name, v, lo in (("projects", projects, 1), ("regions", regions, 1), ("years", years, 1),
                        ("commodities", commodities, 1), ("contracts", contracts, 0), ("cases", cases, 1)):
        if int(v) != v or v < lo:
            raise ValueError(f"{name} must be a whole number >= {lo}; got {v!r}")
    args = dict(projects=projects, regions=regions, years=years, commodities=commodities, contracts=contracts,
                seed=seed, first_year=first_year, cases=cases)
    coms, precursor = _commodities(commodities, seed)
    domestic, sites, xy, weight = _map(regions, seed)
    links, neighbours = _network(domestic + sites, xy)
    w = _World(first=first_year, last=first_year + years - 1, years=tuple(range(first_year, first_year + years)),
               commodities=coms, precursor=precursor, domestic=domestic, sites=sites, xy=xy, links=links,
               neighbours=neighbours, weight=weight)
    intensity, mix, cell, material = _demand(w, seed)
    prj, recipes, jvs = _projects(w, projects, seed)
    con, terms = _contracts(w, contracts, seed)
    policy, overrides = _policy(w, cases, seed)
    arg_text = ", ".join(f"{k}={v}" for k, v in args.items())
    tables: Tables = {
        "settings": _settings(w, f"Synthetic instance (seed {seed}, {projects} projects, {regions} regions, "
                                 f"{years} years, {commodities} commodities)"),
        "commodities": _commodity_rows(w, seed),
        "regions": _region_rows(w),
        "intensity": intensity,
        "chemistry_mix": mix,
        "cell_demand": cell,
        "material_demand": material,
        "projects": prj,
        "recipes": recipes,
        "joint_ventures": jvs,
        "contracts": con,
        "contract_terms": terms,
        "transport": _transport(w),
        "policy": policy,
        "overrides": overrides,
        "sources": [{"item": "all figures", "value": "synthetic", "tag": "E", "source": GENERATOR,
                     "note": f"Assumption: synthetic instance for performance work, drawn at random with the "
                             f"magnitudes of the default instance; {arg_text}"}],
    }
    # an optional sheet without rows is left out (in memory a sheet needs a row to declare its columns)
    return {k: v for k, v in tables.items() if v or k in ("projects", "policy")}


def generate(path: str | Path, **kwargs: Any) -> Path:
    """Write the synthetic instance of `generate_tables(**kwargs)` to `path` (bare workbook); return the path."""
    from planner.export.instance_xlsx import write_instance

    return write_instance(generate_tables(**kwargs), path, documented=False)


# --------------------------------------------------------------------------------------------
# model size, without building the model
# --------------------------------------------------------------------------------------------


def model_size(tables: Tables, case: str | None = None) -> dict[str, int]:
    """Variables, integer variables and constraints of the model of `tables` under `case` (default: the
    first), and the size of each component, counted as `planner.model` creates them without building the
    Pyomo model (`planner.model.build.count_model`)."""
    from planner.cases import apply_case, validate
    from planner.io.reader import workbook_from_tables
    from planner.model.build import count_model

    return count_model(apply_case(validate(workbook_from_tables(tables)), case))


def main(argv: list[str] | None = None) -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(prog="python -m planner.datasets.synthetic", description=__doc__.split("\n")[0])
    ap.add_argument("size", nargs="?", default="S", help="size preset: S, M, L or XL (default S)")
    ap.add_argument("-o", "--output", help="workbook to write (default synthetic-<size>.xlsx)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--count", action="store_true", help="print the model size counted from the sets")
    a = ap.parse_args(argv)
    kw = size_preset(a.size)
    if a.seed is not None:
        kw["seed"] = a.seed
    t0 = time.perf_counter()
    tables = generate_tables(**kw)
    t1 = time.perf_counter()
    path = generate(a.output or f"synthetic-{a.size.upper()}.xlsx", **kw)
    t2 = time.perf_counter()
    print(f"wrote {path} ({', '.join(f'{k}={v}' for k, v in kw.items())}); tables {t1 - t0:.1f} s, "
          f"workbook {t2 - t1:.1f} s")
    if a.count:
        size = model_size(tables)
        print(", ".join(f"{k} {v:,}" for k, v in size.items()))


if __name__ == "__main__":
    main()
