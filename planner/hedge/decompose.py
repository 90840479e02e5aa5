"""`planner hedge --decompose`: the hedged plan by progressive hedging with mpi-sppy, under `mpiexec`.

For many scenarios (50-500) the extensive form outgrows one machine; mpi-sppy (the Pyomo
ecosystem's MPI stochastic-programming engine) decomposes it instead: each rank builds the models of
its scenarios (`scenario_creator`: the scenario's case through the same families, the first stage of
`planner.model.extensive.first_stage_keys` attached as the root node), a hub runs progressive
hedging and a spoke looks for good first stages (xhatshuffle: each scenario's first stage tried in
every scenario), reporting the best plan found (the inner bound: the expected cost of a first stage
actually carried out in every scenario) and a lower bound (the outer bound; with 2 ranks, PH's
trivial bound, the expected cost with perfect foresight; with 3 or more, a Lagrangian spoke's).

Run it as `mpiexec -n 3 planner hedge INSTANCE --decompose` (`pip install '.[mpi]'` installs
mpi-sppy, mpi4py and the MPICH wheel). Each rank reads the workbook itself; only rank 0 prints.

mpi-sppy solves its subproblems through Pyomo's own HiGHS interface (`appsi_highs`): the one place
where HiGHS is reached other than through planner.solve, because mpi-sppy drives the solver itself
(adding its PH terms to each scenario's objective between solves). The PH proximal terms are
linearised (HiGHS solves no mixed-integer quadratic programs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import UsageError

__all__ = ["Decomposed", "available", "run_decomposed"]

#: Pyomo's HiGHS interface that mpi-sppy's subproblem solves use
SOLVER = "appsi_highs"


def available() -> bool:
    """Whether mpi-sppy and mpi4py can be imported (the optional extra `[mpi]`)."""
    try:
        import mpi4py  # noqa: F401
        import mpisppy  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Decomposed:
    """What the decomposition found (money in $, discounted): the best plan's expected cost (inner bound),
    a lower bound (outer bound), their relative gap, and the best plan's first stage."""

    inner_bound_usd: float | None
    outer_bound_usd: float | None
    gap: float | None
    first_stage: dict[str, dict[Any, float]]
    ranks: int
    scenarios: int
    iterations: int


_CACHE: dict[str, Any] = {}


def scenario_creator(name: str, *, path: str, commit_until: int, scenarios: dict[str, tuple[str, float]]) -> Any:
    """The model of scenario `name` for mpi-sppy: its case's model, the first stage as the root node."""
    from mpisppy.utils import sputils

    from planner.cases import apply_case, load_instance
    from planner.model.build import build_model
    from planner.model.extensive import FIRST_STAGE_VARS, first_stage_keys, with_plain_rows

    inst = _CACHE.get(path)
    if inst is None:
        inst = _CACHE[path] = load_instance(path)
    case, prob = scenarios[name]
    ci = apply_case(inst, case)
    m = with_plain_rows(build_model(ci))
    keys = first_stage_keys(ci, commit_until)
    varlist = [getattr(m, var)[k] for var in FIRST_STAGE_VARS for k in keys.get(var, ())]
    sputils.attach_root_node(m, 0.0, varlist)
    m._mpisppy_probability = prob
    m._planner_first_stage = [(var, k) for var in FIRST_STAGE_VARS for k in keys.get(var, ())]
    return m


def scenario_denouement(rank: int, name: str, scenario: Any) -> None:
    """Nothing to do per scenario at the end (mpi-sppy calls it)."""


def run_decomposed(path: str | Path, scenarios: list[Any], commit_until: int, *, max_iterations: int = 20,
                   rel_gap: float = 1e-3, time_limit: float | None = None, default_rho: float = 1.0) -> Decomposed:
    """Progressive hedging over `scenarios` (planner `Scenario`s) on the ranks of this MPI run (at least 2)."""
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpi4py import MPI
    from mpisppy.spin_the_wheel import WheelSpinner
    from mpisppy.utils import config

    from planner.cases import apply_case, load_instance
    from planner.model.extensive import first_stage_keys
    from planner.model.units import MONEY

    size = MPI.COMM_WORLD.size
    if size < 2:
        raise UsageError("--decompose runs under MPI with at least 2 ranks: mpiexec -n 3 planner hedge INSTANCE "
                         "--decompose")
    path = str(Path(path).resolve())
    inst = load_instance(path)
    _CACHE[path] = inst
    keys = {tuple((v, tuple(ks)) for v, ks in first_stage_keys(apply_case(inst, s.case), commit_until).items())
            for s in scenarios}
    if len(keys) > 1:
        raise UsageError("the scenarios' cases differ in their first-stage decisions (projects, start years or "
                         "contracts up to the commitment year): --decompose needs the same decisions in every "
                         "scenario; solve the extensive form instead (without --decompose)")
    n_cyl = 3 if size % 3 == 0 else 2
    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.xhatshuffle_args()
    if n_cyl == 3:
        cfg.lagrangian_args()
    cfg.solver_name = SOLVER
    cfg.default_rho = default_rho
    cfg.max_iterations = max_iterations
    cfg.rel_gap = rel_gap
    if time_limit is not None:
        cfg.time_limit = time_limit
    cfg.linearize_proximal_terms = True
    names = [s.name for s in scenarios]
    kwargs = {"path": path, "commit_until": commit_until,
              "scenarios": {s.name: (s.case, s.probability) for s in scenarios}}
    beans = (cfg, scenario_creator, scenario_denouement, names)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=kwargs)
    spokes = [vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=kwargs)]
    if n_cyl == 3:
        spokes.append(vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=kwargs))
    wheel = WheelSpinner(hub, spokes)
    wheel.spin()
    inner, outer = wheel.BestInnerBound, wheel.BestOuterBound
    finite = [x for x in (inner, outer) if x is not None and abs(x) != float("inf")]
    gap = (inner - outer) / abs(inner) if len(finite) == 2 and inner else None
    first: dict[str, dict[Any, float]] = {}
    for (var, k), x in _best_first_stage(wheel, MPI.COMM_WORLD) or []:
        first.setdefault(var, {})[k] = x
    opt = getattr(wheel.spcomm, "opt", None)
    iterations = int(getattr(opt, "_PHIter", 0) or 0) if wheel.on_hub() else 0
    iterations = max(MPI.COMM_WORLD.allgather(iterations))
    return Decomposed(None if inner is None else float(inner) / MONEY, None if outer is None else float(outer) / MONEY,
                      None if gap is None else float(gap), first, size, len(names), iterations)


def _best_first_stage(wheel: Any, comm: Any) -> list[tuple[tuple[str, Any], float]] | None:
    """The first stage of the best plan found (by variable family and key), on every rank: the cylinder that
    found it loads it and sends it round."""
    winner = wheel._determine_innerbound_winner()  # collective: every rank takes part
    values = None
    opt = wheel.spcomm.opt
    if winner and opt.cylinder_rank == 0 and (opt.first_stage_solution_available or opt.load_best_solution()):
        s = opt.local_scenarios[opt.local_scenario_names[0]]
        node = s._mpisppy_node_list[0]
        values = [(k, float(round(v.value or 0.0))) for k, v in zip(s._planner_first_stage, node.nonant_vardata_list,
                                                                      strict=True)]
    return next((v for v in comm.allgather(values) if v is not None), None)
