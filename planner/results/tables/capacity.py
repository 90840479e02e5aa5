"""capacity: online and qualified capacity by commodity, region and year."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.model.registry import TableContext, table
from planner.results.tables.common import built_units, retire_year


@table("capacity")
def capacity(t: TableContext) -> pd.DataFrame:
    ci = t.ci
    cap_online: dict[tuple[str, str, int], float] = defaultdict(float)
    cap_qual: dict[tuple[str, str, int], float] = defaultdict(float)
    for p, s in t.sets.options:
        u = built_units(t, p, s)
        if u < 0.5:
            continue
        prj = ci.projects[p]
        gone = retire_year(t, p, s)
        for y in ci.years:
            if prj.is_online(s, y) and y < gone:
                cap_online[(prj.commodity, prj.site, y)] += u * prj.capacity
                cap_qual[(prj.commodity, prj.site, y)] += u * prj.capacity * prj.availability(s, y)
    return pd.DataFrame(
        [{"commodity": c, "region": r, "year": y, "online_t": cap_online[(c, r, y)],
          "qualified_t": cap_qual.get((c, r, y), 0.0)} for (c, r, y) in sorted(cap_online)],
        columns=["commodity", "region", "year", "online_t", "qualified_t"])
