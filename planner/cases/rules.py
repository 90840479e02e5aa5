"""Rules of a case that the model, the results and the explanations all apply."""

from __future__ import annotations

from planner.cases.case import CaseInstance
from planner.instance.records import InstanceData


def in_group(inst: InstanceData, group: str, commodity: str) -> bool:
    """Whether `commodity` belongs to localization group `group` (a family such as CAM, or itself)."""
    return commodity == group or inst.commodities[commodity].family == group


def qualifies_for_localization(inst: CaseInstance, *, region: str, feoc: bool) -> bool:
    """Whether supply from `region` (by an owner/supplier with FEOC status `feoc`) is qualifying."""
    pol = inst.policy
    reg = inst.regions[region]
    if pol.localization_excludes_feoc and (feoc or reg.feoc):
        return False
    return reg.domestic or (pol.localization_fta_counts and reg.fta)
