"""The extensive form of a two-stage hedged plan: one block per scenario, the first stage shared.

Built from the same families as every case (`build_model` of each scenario's CaseInstance, as a
block of one Pyomo model); only the rows tying the blocks together and the objective are new here.
The study that poses and reads it is `planner.hedge`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo

from planner.cases.case import CaseInstance
from planner.model.build import build_model
from planner.model.core import add_matrix_rows
from planner.model.families.operations import ops_index
from planner.model.units import MONEY

__all__ = ["FIRST_STAGE_VARS", "HedgeObjective", "ScenarioBlock", "build_extensive", "first_stage_keys",
           "scenario_block_name"]

#: the decisions a first stage holds, in this order: builds, built or not, signings, cancellations, early retirements
FIRST_STAGE_VARS = ("v_units", "b_build", "b_sign", "b_cancel", "b_retire")
#: weight of the expected cost that breaks ties between plans of equal worst regret (minimax regret)
REGRET_TIE_BREAK = 1e-3


@dataclass(frozen=True)
class HedgeObjective:
    """What the hedge minimises: `expected` cost; `cvar` (expected cost + `weight` x CVaR at level `alpha`);
    `minmax-regret` (the worst regret against each scenario's own optimum, `own_usd`)."""

    kind: str = "expected"  # expected | cvar | minmax-regret
    alpha: float = 0.9
    weight: float = 1.0

    @classmethod
    def parse(cls, text: str) -> HedgeObjective:
        """`expected`, `cvar:ALPHA:WEIGHT` (e.g. cvar:0.9:1) or `minmax-regret`; ValueError in words otherwise."""
        t = text.strip().lower()
        if t == "expected":
            return cls("expected")
        if t in ("minmax-regret", "minimax-regret", "regret"):
            return cls("minmax-regret")
        if t.startswith("cvar"):
            parts = t.split(":")
            try:
                alpha = float(parts[1]) if len(parts) > 1 else 0.9
                weight = float(parts[2]) if len(parts) > 2 else 1.0
            except ValueError:
                raise ValueError(f"cannot read the objective '{text}': write cvar:ALPHA:WEIGHT, e.g. cvar:0.9:1") from None
            if len(parts) > 3 or not 0.0 <= alpha < 1.0 or weight < 0.0:
                raise ValueError(f"the objective '{text}' needs 0 <= ALPHA < 1 and WEIGHT >= 0 (cvar:ALPHA:WEIGHT, "
                                 "e.g. cvar:0.9:1)")
            return cls("cvar", alpha, weight)
        raise ValueError(f"unknown objective '{text}': expected, cvar:ALPHA:WEIGHT or minmax-regret")

    def describe(self) -> str:
        if self.kind == "cvar":
            return f"expected cost + {self.weight:g} x CVaR at {self.alpha:g}"
        if self.kind == "minmax-regret":
            return "least worst regret against each scenario's own optimum (ties: least expected cost)"
        return "least expected cost"


@dataclass
class ScenarioBlock:
    """One scenario's block of the extensive form."""

    name: str
    probability: float
    ci: CaseInstance
    block: Any  # the scenario's model (a Pyomo block of the extensive form)
    first_stage: dict[str, list[Any]] = field(default_factory=dict)  # variable family -> keys shared


def scenario_block_name(i: int) -> str:
    return f"scenario_{i}"


def first_stage_keys(ci: CaseInstance, commit_until: int) -> dict[str, list[Any]]:
    """The decisions of `ci`'s model taken in years up to `commit_until`: the first stage.

    Units started in a start year <= `commit_until`; whether a project is built, for projects whose
    every start year is <= `commit_until`; contracts signed whose first delivery year in the horizon is
    <= `commit_until`; committed plants cancelled (decided in the first year); plants retired early by
    a year <= `commit_until`.
    """
    sets = ci.sets
    ops = ops_index(ci)
    first = ci.years[0]
    out: dict[str, list[Any]] = {
        "v_units": [(p, s) for p, s in sets.option_vars if s <= commit_until],
        "b_build": [p for p in sets.candidates if sets.starts[p] and max(sets.starts[p]) <= commit_until],
        "b_sign": [k for k in sets.signed if _first_delivery(ci, k) <= commit_until],
        "b_cancel": list(ops.cancel) if first <= commit_until else [],
        "b_retire": [(p, y) for p, y in ops.retire if y <= commit_until],
    }
    return {v: keys for v, keys in out.items() if keys}


def _first_delivery(ci: CaseInstance, k: str) -> int:
    years = set(ci.years)
    ky = [y for y in ci.contracts[k].years if y in years]
    return min(ky) if ky else ci.years[-1] + 1


def build_extensive(scenarios: Sequence[tuple[str, float, CaseInstance]], commit_until: int,
                    objective: HedgeObjective = HedgeObjective(), *, own_usd: Sequence[float] | None = None
                    ) -> tuple[pyo.ConcreteModel, list[ScenarioBlock]]:
    r"""Two stages: the hedged plan of several scenarios (`planner hedge`).

    Each scenario $\omega$ (a policy case with its overrides, probability $\pi_\omega$, $\sum_\omega
    \pi_\omega = 1$) is the whole model of its case, built by the families above as one block of
    the extensive form, with its own variables $x_\omega$ and its own total discounted cost
    $C_\omega$ (`v_total_cost` of the block; its objective switched off). The decisions taken in
    years up to the commitment year $T$ (`--commit-until`, default the first year + 2) form the
    *first stage* $z$: units started in a start year $s \le T$ (`v_units[p, s]`), whether a project
    whose every start year is $\le T$ is built (`b_build[p]`), contracts signed whose first delivery
    year is $\le T$ (`b_sign[k]`), committed plants cancelled (`b_cancel[p]`, decided in the first
    year) and plants retired early by a year $\le T$ (`b_retire[p, y]`). Every scenario's copy of a
    first-stage decision equals one shared copy (non-anticipativity: what is committed now cannot
    depend on which scenario comes true):

    $$x_{\omega,j} = z_j \qquad \forall \omega,\; j \in \mathcal{J}^{1}_\omega$$

    (rows `c_nonanticipativity[ω, family, key]`, shared columns `v_first_units`, `b_first_build`,
    `b_first_sign`, `b_first_cancel`, `b_first_retire`; a decision a scenario's case does not have
    is tied in the scenarios that have it). Everything later — builds starting after $T$, later
    signings, output, flows, purchases, awards and credits — is decided per scenario (recourse).
    The objective is one of

    $$\min \sum_\omega \pi_\omega C_\omega \qquad \text{(expected cost)}$$

    $$\min \sum_\omega \pi_\omega C_\omega + w\Big(\eta + \tfrac{1}{1-\alpha}\sum_\omega \pi_\omega u_\omega\Big),
    \quad u_\omega \ge C_\omega - \eta,\; u_\omega \ge 0 \qquad \text{(expected cost + } w\,\mathrm{CVaR}_\alpha)$$

    $$\min R + \epsilon \sum_\omega \pi_\omega C_\omega, \quad R \ge C_\omega - C^*_\omega
    \qquad \text{(minimax regret)}$$

    with `v_expected_cost`, the Rockafellar–Uryasev auxiliaries `v_cvar_eta` ($\eta$) and
    `v_cvar_excess[ω]` ($u_\omega$, rows `c_cvar_excess[ω]`), the worst regret `v_max_regret` ($R$,
    rows `c_regret[ω]`) against each scenario's own optimum $C^*_\omega$ (solved first), and
    $\epsilon = 10^{-3}$ so that among plans of equal worst regret the cheaper on average is chosen.
    With one scenario, or with $T$ before the first decision year (nothing shared), the expected-cost
    hedge is each scenario's own optimum.

    Dual: of `c_nonanticipativity`, the value in scenario $\omega$ of being free to take first-stage
    decision $j$ differently there (they sum to the reduced cost of $z_j$ over the scenarios).
    """
    if not scenarios:
        raise ValueError("a hedged plan needs at least one scenario")
    m = pyo.ConcreteModel(name="hedge")
    blocks: list[ScenarioBlock] = []
    for i, (name, prob, ci) in enumerate(scenarios):
        b = build_model(ci)
        b.o_total_cost.deactivate()
        m.add_component(scenario_block_name(i), b)
        blocks.append(ScenarioBlock(name, float(prob), ci, b, first_stage_keys(ci, commit_until)))

    _tie_first_stage(m, blocks)
    totals = [b.block.v_total_cost[None] for b in blocks]
    probs = np.array([b.probability for b in blocks], dtype=float)
    n = len(blocks)

    m.v_expected_cost = pyo.Var(within=pyo.Reals, doc="expected discounted total cost [$M]")
    add_matrix_rows(m, "c_expected_cost", ["expected"], np.zeros(n + 1, dtype=np.int64),
                    [m.v_expected_cost, *totals], np.concatenate([[1.0], -probs]), [0.0], [0.0],
                    "the expected cost's defining row")
    m.v_objective = pyo.Var(within=pyo.Reals, doc="the hedge's objective [$M]")
    obj_vars: list[Any] = [m.v_objective]
    obj_coefs: list[float] = [1.0]
    if objective.kind == "cvar":
        m.v_cvar_eta = pyo.Var(within=pyo.Reals, doc="value at risk at level alpha [$M]")
        m.v_cvar_excess = pyo.Var(range(n), within=pyo.NonNegativeReals, doc="cost above the value at risk [$M]")
        # u_w - C_w + eta >= 0
        add_matrix_rows(m, "c_cvar_excess", [b.name for b in blocks], np.repeat(np.arange(n), 3),
                        [v for i in range(n) for v in (m.v_cvar_excess[i], totals[i], m.v_cvar_eta)],
                        np.tile([1.0, -1.0, 1.0], n), [0.0] * n, [None] * n, "excess over the value at risk")
        m.v_cvar = pyo.Var(within=pyo.Reals, doc="CVaR at level alpha [$M]")
        add_matrix_rows(m, "c_cvar", ["cvar"], np.zeros(n + 2, dtype=np.int64),
                        [m.v_cvar, m.v_cvar_eta, *[m.v_cvar_excess[i] for i in range(n)]],
                        np.concatenate([[1.0, -1.0], -probs / (1.0 - objective.alpha)]), [0.0], [0.0],
                        "CVaR's defining row")
        obj_vars += [m.v_expected_cost, m.v_cvar]
        obj_coefs += [-1.0, -objective.weight]
    elif objective.kind == "minmax-regret":
        if own_usd is None or len(own_usd) != n:
            raise ValueError("minimax regret needs each scenario's own optimum")
        m.v_max_regret = pyo.Var(within=pyo.Reals, doc="worst regret over the scenarios [$M]")
        # R - C_w >= -C*_w
        add_matrix_rows(m, "c_regret", [b.name for b in blocks], np.repeat(np.arange(n), 2),
                        [v for t in totals for v in (m.v_max_regret, t)], np.tile([1.0, -1.0], n),
                        [-float(c) * MONEY for c in own_usd], [None] * n, "the worst regret bounds each one")
        obj_vars += [m.v_max_regret, m.v_expected_cost]
        obj_coefs += [-1.0, -REGRET_TIE_BREAK]
    else:
        obj_vars += [m.v_expected_cost]
        obj_coefs += [-1.0]
    add_matrix_rows(m, "c_objective", ["objective"], np.zeros(len(obj_vars), dtype=np.int64), obj_vars,
                    np.asarray(obj_coefs, dtype=float), [0.0], [0.0], "the hedge's objective's defining row")
    m.c_objective.defines = m.v_objective  # folded into HiGHS's costs by the solve layer
    m.o_hedge = pyo.Objective(expr=m.v_objective, sense=pyo.minimize, doc=objective.describe())
    return m, blocks


_SHARED = {"v_units": "v_first_units", "b_build": "b_first_build", "b_sign": "b_first_sign",
           "b_cancel": "b_first_cancel", "b_retire": "b_first_retire"}


def _tie_first_stage(m: pyo.ConcreteModel, blocks: list[ScenarioBlock]) -> None:
    """One shared column per first-stage decision; a row per scenario holding it: x_w - z = 0."""
    keys: list[Any] = []
    rows: list[int] = []
    vars_: list[Any] = []
    coefs: list[float] = []
    for var in FIRST_STAGE_VARS:
        union: dict[Any, float] = {}
        for b in blocks:
            ks = b.first_stage.get(var, ())
            comp = getattr(b.block, var) if ks else None
            for k in ks:
                union[k] = max(union.get(k, 0.0), float(comp[k].ub if comp[k].ub is not None else 1.0))
        if not union:
            continue
        index = list(union)
        if var == "v_units":
            z = pyo.Var(index, within=pyo.NonNegativeIntegers, bounds=lambda _m, p, s: (0, union[(p, s)]),
                        doc="units started, shared by every scenario [units]")
        else:
            z = pyo.Var(index, within=pyo.Binary, doc="first-stage decision shared by every scenario [0/1]")
        m.add_component(_SHARED[var], z)
        for b in blocks:
            ks = b.first_stage.get(var, ())
            comp = getattr(b.block, var) if ks else None
            for k in ks:
                r = len(keys)
                keys.append((b.name, var, k))
                rows += [r, r]
                vars_ += [comp[k], z[k]]
                coefs += [1.0, -1.0]
    if keys:
        add_matrix_rows(m, "c_nonanticipativity", keys, np.asarray(rows, dtype=np.int64), vars_,
                        np.asarray(coefs, dtype=float), [0.0] * len(keys), [0.0] * len(keys),
                        "a first-stage decision is the same in every scenario")


def first_stage_values(ci: CaseInstance, plan: Any, commit_until: int) -> dict[str, dict[Any, float]]:
    """The first-stage decisions of a plan (a `FixedPlan`) as `ci`'s model names them: the values a
    single-case plan's commitments hold when it is evaluated under another scenario (recourse free)."""
    from planner.model.variations import plan_values

    keys = first_stage_keys(ci, commit_until)
    values = plan_values(ci, plan)
    out: dict[str, dict[Any, float]] = {}
    for var, ks in keys.items():
        if var == "b_build":
            units = values["v_units"]
            out[var] = {p: float(any(units.get((p, s), 0.0) > 0 for s in ci.sets.starts[p])) for p in ks}
        else:
            out[var] = {k: values[var][k] for k in ks}
    return out


def plan_start(blocks: Sequence[ScenarioBlock], plans: Sequence[Any], m: pyo.ConcreteModel
               ) -> list[tuple[Any, float]]:
    """A warm start of the extensive form: (variable, value) of every decision a plan holds, block by block
    (`plans[i]` a `FixedPlan` carried out in scenario i), and of the shared first stage; HiGHS completes
    the rest (flows, awards, credits)."""
    from planner.model.variations import plan_values

    out: list[tuple[Any, float]] = []
    shared: dict[tuple[str, Any], float] = {}
    for b, plan in zip(blocks, plans, strict=True):
        values = plan_values(b.ci, plan)
        for var, vals in values.items():
            comp = getattr(b.block, var, None)
            if comp is None:
                continue
            for k, x in vals.items():
                out.append((comp[k], x))
        built = {p: float(any(values["v_units"].get((p, s), 0.0) > 0 for s in b.ci.sets.starts[p]))
                 for p in b.ci.sets.candidates}
        for p, x in built.items():
            out.append((b.block.b_build[p], x))
        for var, ks in b.first_stage.items():
            src = built if var == "b_build" else values[var]
            for k in ks:
                shared.setdefault((var, k), src[k])
    for (var, k), x in shared.items():
        out.append((getattr(m, _SHARED[var])[k], x))
    return out


def shared_values(m: pyo.ConcreteModel) -> dict[str, dict[Any, float]]:
    """The solved first stage: value of every shared decision, by first-stage variable family and key."""
    out: dict[str, dict[Any, float]] = {}
    for var, shared in _SHARED.items():
        comp = getattr(m, shared, None)
        if comp is not None:
            out[var] = {k: float(round(v.value or 0.0)) for k, v in comp.items()}
    return out


def block_units(b: ScenarioBlock) -> dict[tuple[str, int], int]:
    """Units started per (project, start year) in scenario block `b` after the solve (candidates only)."""
    comp = getattr(b.block, "v_units", None)
    if comp is None:
        return {}
    return {k: int(round(v.value or 0.0)) for k, v in comp.items() if round(v.value or 0.0) > 0}


def block_cost_usd(b: ScenarioBlock) -> float:
    """The scenario's total discounted cost in the solved extensive form [$]."""
    return float(b.block.v_total_cost[None].value) / MONEY


def with_plain_rows(m: pyo.ConcreteModel) -> pyo.ConcreteModel:
    """`m` with every `MatrixConstraint` family replaced by an ordinary indexed Constraint of the same rows (same
    name, same row keys): for solver interfaces that walk constraints the Pyomo way (mpi-sppy through
    `appsi_highs`), which `MatrixConstraint` does not support. Slower to hand over; the model is the same."""
    from pyomo.core.base.matrix_constraint import MatrixConstraint
    from pyomo.core.expr.numeric_expr import LinearExpression

    for comp in list(m.component_objects(pyo.Constraint, active=True, descend_into=True)):
        if not isinstance(comp, MatrixConstraint):
            continue
        name, parent, keys = comp.local_name, comp.parent_block(), list(getattr(comp, "row_keys", range(len(comp))))
        data, idx, ptr, xs = comp._A_data, comp._A_indices, comp._A_indptr, comp._x
        lower, upper = list(comp._lower), list(comp._upper)
        exprs = []
        for i in range(len(lower)):
            a, b = int(ptr[i]), int(ptr[i + 1])
            exprs.append(LinearExpression(constant=0.0, linear_coefs=[float(v) for v in data[a:b]],
                                          linear_vars=[xs[int(j)] for j in idx[a:b]]))
        parent.del_component(comp)

        def rule(_b: Any, i: int, exprs: list[Any] = exprs, lower: list[Any] = lower, upper: list[Any] = upper
                 ) -> Any:
            lo, hi = lower[i], upper[i]
            if lo is not None and hi is not None and lo == hi:
                return exprs[i] == float(lo)
            return (None if lo is None else float(lo), exprs[i], None if hi is None else float(hi))

        new = pyo.Constraint(range(len(lower)), rule=rule)
        parent.add_component(name, new)
        new.row_keys = keys
    return m
