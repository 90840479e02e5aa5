"""Policy cases: from the validated workbook (`Instance`) to what the model reads (`CaseInstance`).

* `load_instance` / `validate`: the workbook checked whole, every case's overlay included.
* `apply_case(inst, case) -> CaseInstance`: the case's overrides applied (`overrides`), its
  policy resolved (`policy`), its demand scaled. The only way to a CaseInstance.
* `names`: case names and chains (`extends`); `rules`: rules of a case shared by the model, the
  results and the explanations.
"""

from planner.cases.apply import apply_case
from planner.cases.case import CaseInstance
from planner.cases.load import load_instance, validate
from planner.cases.names import case_chain, case_names, case_rows, resolve_case_name
from planner.cases.policy import Policy
from planner.cases.rules import in_group, qualifies_for_localization

__all__ = [
    "CaseInstance", "Policy", "apply_case", "case_chain", "case_names", "case_rows", "in_group", "load_instance",
    "qualifies_for_localization", "resolve_case_name", "validate",
]
