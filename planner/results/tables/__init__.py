"""The core result tables, one builder per module, registered with `planner.model.registry`.

Importing this package registers them. A family's own table is registered in the family's module
(planner/model/families/), not here; `planner.results.extract` builds every registered table.
"""

from planner.results.tables import (  # noqa: F401  (registration)
    builds,
    capacity,
    commitments,
    cost_views,
    costs,
    idle_capacity,
    imports,
    kpis,
    landed_costs,
    localization,
    localization_views,
    marginal_costs,
    production,
    shipments,
    supply,
    unmet,
)
