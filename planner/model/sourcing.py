"""Sourcing: the PFE status of every supply source, and which commodities carry a grade.

Every source of a commodity is PFE (material of a prohibited foreign entity) or not:

* a plant's output is PFE when the project is `feoc_owned` or its site region is `feoc`;
* an import contract's deliveries are PFE when the contract is `feoc` (blank: its origin region's flag);
* a tonne bought at the market price counts as `market_pfe_share` PFE (commodities sheet). Blank: the
  spot material's origin is undeclared and it counts like the buying plant's other untraced material,
  at the plant's `pfe_cost_share`.

A commodity is *graded* in a case when a rule needs to know where its tonnes come from and its
sources differ: some buyer that a rule watches (a plant whose 45X has a MACR test, a region whose
cells may earn the cell credit) could get tonnes of different non-PFE value. Rules say which
commodities they watch by registering a `NeedRule` (`register_need`: 45X in `credits_45x`, the
cell credit in `cell_credit`). A graded commodity has two pools in every region, ``pfe`` and
``non_pfe``, each with its own balance row, shipments and deliveries; every other commodity keeps one
pool, grade ``all`` (no extra variables: models without such rules are the models of before).

The sparse reach of each pool, (commodity, grade): the regions where that grade of the commodity
enters a balance (plants of that status, their JV partners' and offtake buyers' regions, contract
origins), and every
region it can be shipped on to. Shipments, plant inputs and deliveries of a grade exist only there.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from planner.cases.case import CaseInstance
from planner.instance.records import Contract, Project
from planner.model.registry import Registration

__all__ = ["ALL", "GRADES", "NON_PFE", "PFE", "Need", "Sourcing", "contract_grade", "market_non_pfe_value",
           "plant_grade", "register_need", "sourcing"]

PFE = "pfe"
NON_PFE = "non_pfe"
GRADES = (PFE, NON_PFE)
ALL = "all"  # the one pool of an ungraded commodity


@dataclass(frozen=True)
class Need:
    """A buyer a rule watches: commodity `commodity` bought in `region` matters to a MACR test.

    `spot`: the buyer may buy the commodity at the market price (a plant; cell makers are served by
    plants and contracts only); a spot tonne of a commodity without `market_pfe_share` then counts at
    the buyer's `untraced_share` (its `pfe_cost_share`)."""

    commodity: str
    region: str
    untraced_share: float | None = None
    spot: bool = True


NeedRule = Callable[[CaseInstance], Iterable[Need]]
_RULES: list[NeedRule] = []


def register_need(rule: NeedRule) -> Registration:
    """Add a rule naming the buyers whose commodities may need a grade (a family registers it at import)."""
    _RULES.append(rule)
    return Registration(lambda: _RULES.remove(rule) if rule in _RULES else None)


def need_rule(rule: NeedRule) -> NeedRule:
    """Decorator form of `register_need`."""
    register_need(rule)
    return rule


def plant_grade(ci: CaseInstance, p: Project) -> str:
    """The grade of a plant's output: PFE when FEOC-owned or sited in a FEOC jurisdiction."""
    return PFE if p.feoc_owned or ci.regions[p.site].feoc else NON_PFE


def contract_grade(k: Contract) -> str:
    """The grade of a contract's deliveries: its `feoc` flag (blank: the origin's)."""
    return PFE if k.feoc else NON_PFE


def market_non_pfe_value(ci: CaseInstance, c: str, untraced_share: float | None) -> float | None:
    """Non-PFE share of a tonne of `c` bought spot: 1 - market_pfe_share, or 1 - the buyer's pfe_cost_share
    when the share is blank; None when `c` has no market price (or the buyer cannot buy spot)."""
    com = ci.commodities[c]
    if com.market_price is None:
        return None
    if com.market_pfe_share is not None:
        return 1.0 - com.market_pfe_share
    return None if untraced_share is None else 1.0 - untraced_share


@dataclass(frozen=True)
class Sourcing:
    """The grades of one case: which commodities are graded, and where each pool can be present."""

    graded: frozenset[str]
    #: (commodity, grade) -> regions where the pool enters a balance (grade ALL for ungraded commodities)
    present: dict[tuple[str, str], frozenset[str]]
    #: (commodity, grade) -> regions the pool can reach (present, and onwards along transport links)
    reach: dict[tuple[str, str], frozenset[str]]
    needs: tuple[Need, ...] = ()
    #: (commodity, status pfe | non_pfe) -> regions a source of that status can reach, graded or not
    reach_status: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def grades(self, c: str) -> tuple[str, ...]:
        """The pools of commodity `c`: (pfe, non_pfe) when graded, else (all,)."""
        return GRADES if c in self.graded else (ALL,)

    def pool(self, c: str, grade: str) -> str:
        """The pool a source of status `grade` supplies: its grade when `c` is graded, else ALL."""
        return grade if c in self.graded else ALL

    def reaches(self, c: str, grade: str, region: str) -> bool:
        return region in self.reach.get((c, grade), frozenset())

    def values(self, ci: CaseInstance, need: Need) -> set[float]:
        """Non-PFE values (0 to 1) of the tonnes of a commodity a buyer could get: from the plants and
        contracts whose tonnes reach its region, and spot if it may buy spot (valued with its
        `untraced_share` when the commodity has no market_pfe_share)."""
        c = need.commodity
        out = {1.0 if g == NON_PFE else 0.0 for g in GRADES if need.region in self.reach_status.get((c, g), ())}
        spot = market_non_pfe_value(ci, c, need.untraced_share) if need.spot else None
        if spot is not None:
            out.add(spot)
        return out

    def fixed_value(self, ci: CaseInstance, need: Need) -> float | None:
        """The non-PFE value of every tonne of the commodity the buyer can get (0 when it can get none);
        None when its tonnes could differ in value (then the commodity is graded where a rule watches the
        buyer)."""
        values = self.values(ci, need)
        if len(values) > 1:
            return None
        return next(iter(values), 0.0)


def sourcing(ci: CaseInstance) -> Sourcing:
    """The grades of case `ci` (computed once per CaseInstance)."""
    return ci.memo("sourcing", lambda: _sourcing(ci))


def _sourcing(ci: CaseInstance) -> Sourcing:
    # where each status of each commodity enters a balance, and where it can be shipped on to
    by_status: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pid, ss in ci.sets.starts.items():
        if not ss:
            continue
        p = ci.projects[pid]
        by_status[(p.commodity, plant_grade(ci, p))].add(p.site)
        if p.partner_region:
            by_status[(p.commodity, plant_grade(ci, p))].add(p.partner_region)
    prod = {p for p, _y in ci.sets.prod}
    for o in ci.offtakes.values():  # an offtake moves a plant's output to its buyer's region
        for pid in o.plants:
            if pid in prod:
                p = ci.projects[pid]
                by_status[(p.commodity, plant_grade(ci, p))].add(o.buyer_region)
    for k, _y in ci.sets.imports:
        con = ci.contracts[k]
        by_status[(con.commodity, contract_grade(con))].add(con.origin)
    arcs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, i, j in ci.transport:
        arcs[c][i].add(j)
    reach_s = {key: _reach(starts, arcs[key[0]]) for key, starts in by_status.items()}
    # graded: a watched buyer could get tonnes of different non-PFE value (from sources that reach it)
    needs = tuple(n for rule in list(_RULES) for n in rule(ci))
    probe = Sourcing(frozenset(), {}, {}, (), {k: frozenset(v) for k, v in reach_s.items()})
    graded = {n.commodity for n in needs if len(probe.values(ci, n)) > 1}
    present: dict[tuple[str, str], frozenset[str]] = {}
    reach: dict[tuple[str, str], frozenset[str]] = {}
    for c in ci.commodities:
        if c in graded:
            for g in GRADES:
                if (c, g) in by_status:
                    present[(c, g)] = frozenset(by_status[(c, g)])
                    reach[(c, g)] = frozenset(reach_s[(c, g)])
        else:
            keys = [(c, g) for g in GRADES if (c, g) in by_status]
            if keys:
                present[(c, ALL)] = frozenset().union(*(by_status[k] for k in keys))
                reach[(c, ALL)] = frozenset().union(*(reach_s[k] for k in keys))
    return Sourcing(frozenset(graded), present, reach, needs,
                    {k: frozenset(v) for k, v in reach_s.items()})


def _reach(starts: set[str], arcs: dict[str, set[str]]) -> set[str]:
    seen = set(starts)
    todo = deque(starts)
    while todo:
        i = todo.popleft()
        for j in arcs.get(i, ()):
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen
