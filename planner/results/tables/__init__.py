"""The core result tables, one builder per module, registered with `planner.model.registry`.

Importing this package registers them. A family's own table is registered in the family's module
(planner/model/families/), not here; `planner.results.extract` builds every registered table.
"""

from planner.results.tables import (  # noqa: F401  (registration)
    builds,
    capacity,
    costs,
    imports,
    kpis,
    localization,
    marginal_costs,
    production,
    shipments,
    supply,
    unmet,
)
