"""Internal units of the model (no Pyomo here: the results layer converts back with them).

Quantities are in kt (1 t = 1e-3 kt) and money in $M (1 $ = 1e-6 $M), so that a price in $/t
becomes a coefficient in $M/kt (`PER_T`). The workbook and every result table use t and $.
"""

MASS = 1e-3
MONEY = 1e-6
#: a price in $/t becomes a coefficient in $M/kt
PER_T = MONEY / MASS
