"""The bundled default instance: the U.S. CAM/AAM supply chain 2025-2035.

Every figure of the instance is held in this module once, as data with its tag and source:

* ``S`` sourced — the value is stated in the cited page;
* ``D`` derived — arithmetic on sourced figures (the arithmetic is in the note);
* ``E`` estimate — an assumption, replace it when better data appears.

Sources are URLs or sections ("§8.2") of the project's reference file
``us-active-materials.md`` (U.S. battery active materials, reference data as of mid-2026).
`tables()` builds the instance as records per sheet and generates the `sources` sheet from the
very figures it used, so no number is typed twice. Units follow the data file (kt, $M, $/kg,
C$M) and are converted to t and $ here (1 $/kg = 1,000 $/t).

    python -m planner.datasets.us_active_materials   # writes instances/us-active-materials.xlsx
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.instance.validate import interpolate

Tables = dict[str, list[dict[str, Any]]]

REF = "us-active-materials.md"  # the project's reference data file; "§n" cites its sections
UPD = "us-active-materials-2026-update.md"  # late-2026 corrections (take precedence); "UPD §n" cites them
FILE_NAME = "us-active-materials.xlsx"

# --------------------------------------------------------------------------------------------
# tagged figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fig:
    """One figure as stated in the data (in the data's unit), with its tag and source."""

    value: Any
    unit: str
    tag: str  # S, D or E
    source: str
    note: str = ""


def S(value: Any, unit: str, source: str, note: str = "") -> Fig:
    return Fig(value, unit, "S", source, note)


def D(value: Any, unit: str, source: str, note: str = "") -> Fig:
    return Fig(value, unit, "D", source, note)


def E(value: Any, unit: str, source: str, note: str = "") -> Fig:
    return Fig(value, unit, "E", source, note)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not (1900 <= value <= 2300):
        return f"{value:,}"
    return str(value)


class _Sources:
    """Collects one sources row per figure used, in the order the figures are used."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, item: str, value: str, tag: str, source: str, note: str = "") -> None:
        if tag == "E" and "assumption" not in note.lower():
            note = "Assumption" + (f": {note}" if note else ".")
        self.rows.append({"item": item, "value": value, "tag": tag, "source": source, "note": note})

    def use(self, item: str, fig: Fig, used: str = "", note: str = "") -> Any:
        """Record `fig` under `item` and return its value. `used`: the value as it enters the model."""
        shown = f"{_show(fig.value)} {fig.unit}".strip()
        if used:
            shown += f" -> {used}"
        text = "; ".join(t for t in (fig.note, note) if t)
        self.add(item, shown, fig.tag, fig.source, text)
        return fig.value


# --------------------------------------------------------------------------------------------
# settings, conversions, modelling choices
# --------------------------------------------------------------------------------------------

TITLE = "U.S. CAM/AAM supply chain 2025-2035"
FIRST_YEAR, LAST_YEAR, BASE_YEAR = 2025, 2035, 2025
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

HORIZON = E("2025-2035", "annual", "§8", "modelling choice: horizon of the proposed default instance (§8), base year 2025")
DISCOUNT_RATE = E(0.08, "1/yr", "§8", "8% real discount rate (§8 [E])")
PENALTY_UNMET = E(30_000, "$/t", f"{UPD} §3; {UPD} §2; §1.2",
                  "lost cell margin per tonne of active material, the update's $20-40k/t [E] range, midpoint: a tonne "
                  "of CAM+AAM makes ~425 kWh of NMC cells (1 / 2.35 kg/kWh, update §2) or ~320 kWh of LFP cells, so "
                  "$30k/t is ~$70-95/kWh of cells not made; above every supply cost but Si-C (which demand treats as an "
                  "optional blend), so unmet demand stays a last resort whose cost means money")
PENALTY_LOCALIZATION = E(22_500, "$/t", "§5.3; §2.2; " + f"{UPD} §2",
                         "what a missed sourcing target costs the buyer: the 30D critical-mineral half-credit, "
                         "$3,750 per vehicle (§5.3), over the ~0.17 t of CAM+AAM in a 71 kWh EV (§2.2 average pack x "
                         "2.35 kg/kWh, update §2) = ~$22.5k/t; applies to the 30D targets of ira_2022_policy and the "
                         "targets of feoc_import_ban_2028")
PENALTY_OFFTAKE = E(10_000, "$/t", f"{UPD} §1; §4.1; §8.2; §8.3",
                    "cost of breaking an offtake beyond the take-or-pay transfer (the plant's financing and qualification "
                    "rest on it): above the gap between a North-American plant's cost and the landed Chinese import "
                    "(about $1-3k/t for graphite and CAM, §4.1/§8.2/§8.3), below the lost cell margin (penalty for "
                    "unmet demand), so a qualified plant delivers its minimum whenever the buyer can take it")
DEVELOPER_RATE = E(0.12, "1/yr", f"{UPD} §3", "developers' cost of capital for first-of-a-kind Western CAM/AAM "
                   "without offtake 10-15% nominal [E]: midpoint 12%, used for the decision sheet's NPV/IRR only")
CAD_PER_USD = E(1.37, "CAD/USD", f"{REF}, conventions", "conversion rate CAD 1.37/USD (data file convention [E])")
LIFETIME = E(20, "yr", "§8", "plant life 20 yr (§8 [E])")
FOM_SHARE = E(0.03, "1/yr", "§8.2; §4.2", "fixed O&M = 3% of capex per year (§4.2/§8.2 [E])")
RAMP_DEFAULT = E("0.4;0.7;0.9;0.95", "share of nameplate", "§6",
                 "ramp-up 40/70/90/95% in qualified operating years 1-4, then 100% (§6 defaults [E])")
JV_EQUITY = E(0.5, "share", "§8", "JV capex borne 50% by the OEM-side partner (§8 [E]); the partner also takes "
              "50% of output under offtake and pays 50% of fixed O&M")
JV_QUALIFICATION = E(1, "yr", "§6", "qualification 1 yr if licensed tech + captive/JV offtaker (§6 default [E]); "
                     "applied to every JV variant whose project qualifies in 2 yr")
NO_TAKE_OR_PAY = E("0", "t/yr and $", "§8.3",
                   "modelling choice: §8.3 gives neither minimum takes nor signing fees, so contracts are "
                   "pay-as-you-go (min_take 0, signing_fee 0) and signing is not a separate decision")

# --------------------------------------------------------------------------------------------
# commodities (§8: M = {NMC811 (incl. NCMA), NMC622, NCA, LFP, LMFP, SG, NG, SIC})
# --------------------------------------------------------------------------------------------

COMMODITIES = (
    ("NMC811", "CAM", "High-Ni NMC811 / NCMA cathode", "high-Ni NMC/NCMA (§1.2, §1.3)"),
    ("NMC622", "CAM", "Mid-Ni NMC622/532 cathode (proxy for LMR later)", "mid-Ni/LMR share of the §1.3 EV mix"),
    ("NCA", "CAM", "NCA cathode", "Panasonic/Tesla cylindrical cells (NV, KS)"),
    ("LFP", "CAM", "LFP cathode", "EV and stationary-storage LFP"),
    ("LMFP", "CAM", "LMFP cathode", "EV LMFP and 5% of ESS from 2030"),
    ("SG", "AAM", "Synthetic graphite anode", "graphite rest x synthetic share (§1.3)"),
    ("NG", "AAM", "Natural graphite anode (coated spherical)", "graphite rest x natural share (§1.3)"),
    ("SIC", "AAM", "Silicon-carbon anode (Si-C blend)", "blend share of anode mass in EV cells (§1.2)"),
)

SMM_URL = "https://nenpower.com/blog/current-trends-and-pricing-analysis-of-cathode-materials-in-the-metal-market"
ET_URL = "https://m.energytrend.com/battery-price.html"
# reference_price: the price at which a tonne enters a material-assistance cost ratio (a cell's credit test),
# whoever supplies it: China ex-works prices of §4.1 (the market price of the material, not its landed cost)
REF_PRICE = {
    "NMC811": S(17_640, "$/t", f"§4.1; {SMM_URL}", "SMM NCM 8-series poly (NEV), Jun 2025"),
    "NMC622": S(14_878, "$/t", f"§4.1; {SMM_URL}", "SMM NCM 6-series mono, Jun 2025"),
    "NCA": S(17_934, "$/t", f"§4.1; {SMM_URL}", "SMM NCA, Jun 2025"),
    "LFP": S(4_064, "$/t", f"§4.1; {SMM_URL}", "SMM LFP high-end NEV, Jun 2025"),
    "LMFP": S(5_198, "$/t", f"§4.1; {SMM_URL}", "SMM LMFP, Jun 2025"),
    "SG": D(3_600, "$/t", f"§4.1; {ET_URL}", "EnergyTrend synthetic graphite anode mid 25.8k CNY/t / 7.2"),
    "NG": D(3_800, "$/t", f"§4.1; {ET_URL}", "EnergyTrend natural graphite anode mid 27.2k CNY/t / 7.2"),
    "SIC": E(40_000, "$/t", "§4.2", "no market price in the data: the U.S. all-in variable cost of Si-C (§4.2)"),
}

# --------------------------------------------------------------------------------------------
# regions: demand nodes, extra plant sites, Canadian sites, supply origins
# --------------------------------------------------------------------------------------------

COORD_NOTE = "approximate centroid of the node's cell plants / the plant site, chosen for freight distances"

# id, name, kind, (lat, lon) [E], description
NODES = (
    ("NV", "Nevada (Tesla Giga Nevada)", (39.54, -119.44), "Panasonic @ Tesla Giga Nevada 41 GWh (NCA/NCM) (§2.3)"),
    ("KS", "Kansas (Panasonic De Soto)", (38.97, -94.96), "Panasonic De Soto 32 GWh, production from Jul 2025 (§2.3)"),
    ("OH", "Ohio (Ultium Warren, L-H Battery)", (40.45, -82.20), "Ultium Cells Warren 40 GWh NCMA; Honda-LGES L-H Battery ~40 GWh (§2.3)"),
    ("TN", "Tennessee (Spring Hill, Stanton, Smyrna)", (35.70, -87.60), "Ultium Spring Hill (-> LFP late 2027), BlueOval City -> SK On, AESC Smyrna (§2.3)"),
    ("KY", "Kentucky (Glendale, Bowling Green)", (37.30, -86.20), "BlueOval SK Glendale (Ford-owned after Dec 2025), AESC Bowling Green 30 GWh (§2.3)"),
    ("MI", "Michigan (Holland, Lansing, Marshall)", (42.60, -85.20), "LGES Holland LFP-ESS, LGES Lansing, Ford Marshall LFP (CATL licence) (§2.3)"),
    ("IN", "Indiana (Kokomo, New Carlisle)", (41.10, -86.30), "StarPlus Kokomo 33+34 GWh; GM-Samsung SDI New Carlisle 27-36 GWh NCA (§2.3)"),
    ("GA", "Georgia (Bryan Co., Bartow, Commerce)", (33.50, -83.20), "HL-GA Bryan Co., Hyundai-SK On Bartow, SK Battery America Commerce (§2.3)"),
    ("NC", "North Carolina (Toyota Liberty)", (35.85, -79.57), "Toyota TBMNC Liberty 30 GWh phased to 2030 (§2.3)"),
    ("WEST", "West / other (Queen Creek AZ)", (33.25, -111.63), "LGES Queen Creek AZ 27 GWh + 16 GWh LFP-ESS (partly on hold); AESC Florence SC paused (§2.3); centroid at Queen Creek"),
)
US_SITES = (
    ("LA", "Vidalia, Louisiana (plant site)", (31.57, -91.43), "Syrah Vidalia natural graphite AAM (A01, A02)"),
    ("AL", "Kellyton, Alabama (plant site)", (32.98, -85.96), "Westwater Kellyton natural graphite (A07)"),
    ("WA", "Moses Lake, Washington (plant site)", (47.13, -119.28), "Group14 BAM-2 and Sila Si-C plants (A10, A11)"),
    ("SC", "Camp Hall, South Carolina (plant site)", (33.10, -80.32), "Redwood Materials Camp Hall campus (C07)"),
    ("MO", "St. Louis, Missouri (plant site)", (38.63, -90.20), "ex-ICL LFP site (C10)"),
    ("TX", "Gulf Coast TX/LA (plant site)", (29.95, -94.05), "generic Gulf Coast LFP greenfield (C12); centroid near Beaumont TX"),
)
CA_SITES = (
    ("QC", "Becancour, Quebec", (46.34, -72.43), "Ultium CAM, EcoPro CAM, NMG (C03, C04, A09)"),
    ("ON", "Ontario (Loyalist / St. Thomas)", (43.50, -78.90), "Umicore Loyalist and Vianode St. Thomas (C05, A08); centroid between the two sites; also a cell-demand node (PowerCo St. Thomas), served first by Canadian CAM/AAM"),
)
FTA_URL = "https://lawi.us/trade-agreements-history/"
FEOC_URL = ("https://www.insideenergyandenvironment.com/2024/05/further-clarity-to-the-electric-vehicle-industry-"
            "and-consumers-is-here-but-it-is-not-done/")
CMA_URL = ("https://ustr.gov/about-us/policy-offices/press-office/press-releases/2023/march/united-states-and-japan-"
           "sign-critical-minerals-agreement")
CANADA_FLAGS = S("fta=TRUE, usmca=TRUE, domestic=FALSE", "", f"{FTA_URL} ; §8",
                 "Canada is a U.S. FTA partner (USMCA); Canadian plants are 'FTA-domestic': they count for FTA "
                 "localization and as North-America-made (USMCA) in the results, but earn no 45X, which needs "
                 "U.S. production (§8)")
# id, name, fta Fig, feoc Fig, description
ORIGINS = (
    ("China", "China", S(False, "fta", FTA_URL, "not a U.S. FTA partner (§4.5)"),
     S(True, "feoc", FEOC_URL, "FEOC/PFE jurisdiction (§4.5)"), "origin of I01-I04"),
    ("Korea", "Korea", S(True, "fta", FTA_URL, "KORUS FTA (§4.5)"), S(False, "feoc", FEOC_URL),
     "origin of I05, I07 (>90% of Korean pCAM imports come from China, §4.5: see the contracts' feoc flags)"),
    ("Japan", "Japan", E(True, "fta", CMA_URL,
                         "Japan is not an FTA partner, but the U.S.-Japan Critical Minerals Agreement (Mar 2023) was "
                         "treated as an FTA for 30D (§4.5); the instance treats Japan as an FTA partner"),
     S(False, "feoc", FEOC_URL), "origin of I06"),
    ("Indonesia", "Indonesia", S(False, "fta", FTA_URL, "not a U.S. FTA partner (§4.5)"), S(False, "feoc", FEOC_URL,
     "the jurisdiction is not FEOC; the I09 supplier is flagged FEOC (mostly Chinese-owned)"), "origin of I09"),
    ("Morocco", "Morocco", S(True, "fta", FTA_URL, "U.S.-Morocco FTA (§4.5)"), S(False, "feoc", FEOC_URL,
     "the jurisdiction is not FEOC; the I08 supplier (BTR, Chinese-owned) is flagged FEOC"), "origin of I08"),
    ("India", "India", S(False, "fta", FTA_URL, "not a U.S. FTA partner (§4.5)"), S(False, "feoc", FEOC_URL),
     "origin of I12"),
    ("Chile", "Chile (FTA lithium salts: Chile, Australia)", S(True, "fta", FTA_URL, "U.S.-Chile and U.S.-Australia "
     "FTAs (§4.5)"), S(False, "feoc", FEOC_URL), "origin of the FTA lithium carbonate I23 (§8.3 I13)"),
    ("Mozambique", "Mozambique (non-Chinese natural graphite: Balama)", S(False, "fta", FTA_URL,
     "not a U.S. FTA partner (§4.5)"), S(False, "feoc", FEOC_URL, "not a FEOC jurisdiction (§4.5)"),
     "origin of the non-Chinese spherical graphite I25 (Balama, §3.2)"),
)

# freight (§4.3, §8.1)
FREIGHT = E(0.10, "$/kg per 1,000 km", "§4.3; §8.1",
            "inland freight $0.10/kg per 1,000 km = $100/t per 1,000 km (intra-U.S. and Canada-U.S. rail/truck)")
ROAD_FACTOR = E(1.2, "x great-circle", "§8.1", "road distance = 1.2 x great-circle distance between centroids")
PORTS = {
    "Long Beach": (33.75, -118.22),
    "Savannah": (32.08, -81.09),
}
PORT_RULE = E("nearer of Long Beach and Savannah", "", "§8.3; §4.3",
              "contract prices are delivered to a U.S. port (§8.3), so an Asian origin's link to a node costs "
              "the inland freight from the nearer of a West Coast port (Long Beach) and an East/Gulf Coast port "
              "(Savannah); Morocco always lands at Savannah")
ATLANTIC_ORIGINS = {"Morocco", "Mozambique"}
INPUT_ONLY_ORIGINS = {"Chile", "Mozambique"}  # origins of input contracts only: no active-material links

# --------------------------------------------------------------------------------------------
# demand (§2.2, §2.3, §1.2, §1.3)
# --------------------------------------------------------------------------------------------

PATH_SOURCE = ("§2.2 (BNEF EVO 2025 4.1 M EVs x ~71 kWh; WoodMac storage outlook; "
               "https://ecoenergynews.com/en-us/category/energy/us-electric-vehicle-sales-are-slowing-amid-policy-"
               "shifts:-bnef-1136158)")
# year: (EV demand, ESS demand, total demand, domestic cell output) in GWh/yr — §2.2 default path [E]
DEMAND_PATH = {
    2025: (125, 55, 180, 135), 2026: (125, 50, 175, 140), 2027: (150, 50, 200, 164),
    2028: (190, 60, 250, 208), 2029: (240, 68, 308, 259), 2030: (295, 75, 370, 315),
    2031: (335, 83, 418, 359), 2032: (375, 90, 465, 405), 2033: (420, 98, 518, 456),
    2034: (462, 105, 567, 499), 2035: (505, 112, 617, 549),
}
HIGH_PATH = {
    2030: S(1080, "GWh total demand", "https://stocknews24.com/2025/01/07/the-us-clean-energy-manufacturing-revolution-is-real",
            "Argonne (Jan 2025): U.S. demand 1,080 GWh in 2030, IRA-era (pre-OBBBA) view (§2.1, §2.2 High)"),
    2035: E(1600, "GWh total demand", "§2.2", "High (IRA-era) sensitivity: ~1,600 GWh in 2035 (§2.2 [E])"),
}
NODE_SHARES = {  # default node shares of domestic cell output (§2.3 [E])
    2025: {"NV": 0.26, "OH": 0.26, "TN": 0.14, "MI": 0.11, "GA": 0.11, "KS": 0.04, "KY": 0.04, "IN": 0.03,
           "NC": 0.01, "WEST": 0.0},
    2030: {"OH": 0.15, "TN": 0.13, "MI": 0.14, "IN": 0.12, "KY": 0.10, "NV": 0.10, "GA": 0.10, "KS": 0.08,
           "NC": 0.05, "WEST": 0.03},
}
EV_MIX = {  # §1.3 default EV mix (share of GWh) [E]; mid-Ni/LMR -> NMC622; 2025: domestic cells (update §3)
    2025: {"NMC811": 0.60, "NMC622": 0.10, "NCA": 0.27, "LFP": 0.03, "LMFP": 0.0},
    2030: {"NMC811": 0.40, "NMC622": 0.10, "NCA": 0.15, "LFP": 0.30, "LMFP": 0.05},
    2035: {"NMC811": 0.33, "NMC622": 0.12, "NCA": 0.10, "LFP": 0.35, "LMFP": 0.10},
}
ESS_MIX = {  # §1.3: ESS 100% LFP, 95% LFP + 5% LMFP from 2030 [S/E]
    2025: {"LFP_ESS": 1.0, "LMFP_ESS": 0.0},
    2029: {"LFP_ESS": 1.0, "LMFP_ESS": 0.0},
    2030: {"LFP_ESS": 0.95, "LMFP_ESS": 0.05},
}
INTENSITY_SOURCE = "§1.2 (stoichiometry, BatPaC 5.2 and WoodMac cross-checks)"
# chemistry: (CAM commodity, CAM t/GWh, anode t/GWh, EV chemistry?)
CHEMISTRIES = {
    "NMC811": ("NMC811", 1400, 950, True),
    "NMC622": ("NMC622", 1600, 950, True),
    "NCA": ("NCA", 1400, 950, True),
    "LFP": ("LFP", 2100, 1050, True),
    "LMFP": ("LMFP", 2000, 1000, True),
    "LFP_ESS": ("LFP", 2100, 1050, False),
    "LMFP_ESS": ("LMFP", 2000, 1000, False),
}
DOMESTIC_MIX_2025 = E("NMC811 60%, NMC622 10%, NCA 27%, LFP 3%", "of domestic EV GWh", f"{UPD} §3; §1.3; §2.3",
                      "2025 domestic EV cell output is almost all nickel (Ultium, L-H, Panasonic NV/KS NCA, StarPlus); "
                      "LGES Holland LFP is storage and Ford Marshall LFP starts 2026, so 2025 domestic EV LFP is ~3% "
                      "against 15% of the national mix (§1.3); from 2030 the §1.3 mix, linear in between")
CANADA_CELLS = E({2025: 0.0, 2026: 0.0, 2027: 5.0, 2028: 10.0, 2030: 20.0, 2035: 30.0}, "GWh/yr (EV)",
                 f"{UPD} §3; §2.1", "Canadian cell output (PowerCo St. Thomas ON first; no volume in the data): 5 GWh "
                 "(2027), 10 (2028), 20 (2030), 30 (2035), linear in between; EV mix as the U.S.; a demand node (ON) "
                 "that Canadian plants serve first (no U.S. cell credit, no 45X)")
SIC_SHARE = {2025: 0.02, 2030: 0.05, 2035: 0.08}  # Si-C share of anode mass, EV cells only (§1.2 [E])
SYNTHETIC_SHARE = {2025: 0.80, 2030: 0.70, 2035: 0.65}  # synthetic share of graphite (§1.3 [E])

# --------------------------------------------------------------------------------------------
# projects (§8.2, details §3)
# --------------------------------------------------------------------------------------------

STATUS = {"E": "existing", "C": "committed", "C-cond.": "committed", "C-paused": "candidate",
          "O": "candidate", "O (paused)": "candidate"}
SITE_MAP = E("site mapping", "", "§8.2",
             "plant sites mapped to regions: Clarksville/Chattanooga TN -> TN, Sparks NV -> NV, Muskegon/Marshall "
             "MI -> MI, Bainbridge GA -> GA, Leland NC -> NC, 'Midwest greenfield' -> OH, 'IN/MI greenfield' -> IN, "
             "'Southeast greenfield' -> GA, 'Gulf Coast TX/LA' -> TX")
PFE_SHARE = {  # pfe_cost_share [E]: share of direct material cost from prohibited foreign entities
    "Ni-CAM": E(0.25, "share", "§4.5; §5.1", "Ni-CAM plants: pCAM largely from Korea/China (>90% of Korean pCAM "
                "imports from China)"),
    "LFP": E(0.30, "share", "§5.1", "LFP/LMFP plants: iron-phosphate precursors largely Chinese"),
    "C11": E(0.35, "share", "§8.2; §5.1", "C11 CATL-licensed LFP (PFE-licence risk)"),
    "SG": E(0.10, "share", "§5.1", "synthetic graphite: domestic needle coke/precursors, some imported inputs"),
    "NG": E(0.0, "share", "§3.2", "natural graphite from non-Chinese mines (Mozambique, Quebec, Alabama)"),
    "SIC": E(0.05, "share", "§3.2", "Si-C from domestic silane and carbon scaffolds"),
}
PFE_NOTE = ("for the plants without modelled inputs (Canadian CAM and graphite, Syrah's integrated Vidalia, Si-C) it "
            "decides 45X eligibility alone: 1 - pfe_cost_share against the year's MACR threshold (60/65/70/80/85% in "
            "2026/27/28/29/30+ under current law), so Syrah and Si-C always pass; for the U.S. CAM plants and the "
            "U.S. graphite plants that buy their feed it applies only to their other_materials_cost, and their MACR "
            "is decided by what they buy (pCAM, lithium salt, FePO4, coke, spherical graphite: the input tier)")
VAR_SOURCE = "§8.2 var. cost; §4.2 default all-in variable cost at 2025 reference metal prices (LCE $10/kg)"
BUILD_SOURCE = "§8.2 build yr; §6 default build times"
QUAL_SOURCE = "§8.2 qual yr; §6 default qualification times"


@dataclass(frozen=True)
class Plant:
    id: str
    name: str
    site: str
    commodity: str
    code: str  # status code of §8.2
    cap: Fig  # kt/yr
    capex: Fig  # $M
    var: Fig  # $/kg
    online: Fig  # earliest online year
    build: Fig | None  # yr; None = "—"
    qual: Fig  # yr
    pfe: str  # key of PFE_SHARE
    jv_text: str  # the JV column of §8.2
    basis: str  # the status/basis column of §8.2
    note: str
    grant: Fig | None = None  # $M, paid under current law
    credit_48c: Fig | None = None  # $M
    provincial: Fig | None = None  # C$M capex reduction
    fom_basis: Fig | None = None  # $M, when it differs from capex
    ramp: Fig | None = None
    units_max: Fig | None = None  # identical modules the model may build (generic greenfield archetypes)


LATEST_START = E(2030, "year", "§6; §8", "candidates start construction by 2030 at the latest: a plant started later "
                 "qualifies in 2034-2035 and matters only for the last years of the horizon - a decision for a later "
                 "revision of the plan (also keeps the default instance quick to solve)")
MODULE_NOTE = ("generic greenfield archetype of §8.2: the data names one plant of this size; it may be built as "
               "several identical modules so that the model can size a build-out beyond the named projects "
               "(modelling choice)")


def _v(x: float) -> Fig:
    return E(x, "$/kg", VAR_SOURCE)


def _b(x: float, src: str = BUILD_SOURCE, note: str = "") -> Fig:
    return E(x, "yr", src, note)


def _q(x: int, src: str = QUAL_SOURCE, note: str = "") -> Fig:
    return E(x, "yr", src, note)


LGC = ("https://www.bestmag.co.uk/lg-chem-breaks-ground-on-new-tennessee-cathode-plant/ ; "
       "https://businessjournaldaily.com/lg-chem-to-build-3-2b-cathode-plant-in-tennessee/")
ULT = "https://www.connectcre.ca/stories/gms-quebec-ev-battery-plant-continuing-as-planned/ ; https://theassay.com/?p=63622"
ECO = ("https://electrive.com/2023/08/18/ford-sk-on-and-ecoprobm-build-cathode-factory-in-canada ; "
       "https://electrive.com/2024/08/21/ford-pauses-construction-of-canadian-cathode-material-plant-again")
UMI = ("https://obj.ca/umicore-pauses-kingston-ev-battery-plant ; "
       "https://recyclingtoday.com/news/umicore-ev-battery-cam-lithium-nickel-canada-project-pause-2024")
RWN = ("https://longbridge.com/en/news/212708272 ; "
       "https://www.ainvest.com/news/redwood-trims-5-6-workforce-pivots-grid-storage-ev-recycling-struggles-2511")
RWS = "https://www.steelguru.com/automobile/redwood-selects-charleston-for-new-battery-materials-campus"
MIT = "https://boomtownusa.us/?p=1280"
ICL = ("https://gnet.globes.co.il/en/article-icl-to-build-us-lithium-battery-plant-1001427228 ; "
       "https://www.stlpr.org/news-briefs/2025-11-12/battery-plant-north-st-louis-officially-dead-trump-administration-"
       "cancels-grants")
FORD = "https://corporate.ford.com/operations/blue-oval-battery-park-michigan.html"
SYR = ("https://nrinvesting.com/syrah-begins-producing-active-anode-material-in-louisiana ; "
       "https://www.middle.news/articles/2026/01/18/tesla-extends-deadline-amid-syrah-offtake-dispute-whats-next-for-vidalia")
NVX = ("https://www.greencarcongress.com/2023/11/20231104-novonix.html ; "
       "https://manufacturingdive.com/news/novonix-secures-755m-doe-loan-tennessee-synthetic-graphite-facility/736073")
NVX2 = ("https://chargedevs.com/newswire/novonix-receives-755-million-conditional-doe-loan-commitment-for-tennessee-"
        "graphite-plant/")
ANO = ("https://electrek.co/2023/05/15/north-america-graphite-factory-georgia/ ; "
       "https://particle.news/story/doe-terminates-about-720-million-in-battery-and-manufacturing-grants")
EPS = ("https://www.wilmingtonbiz.com/more_news/2025/04/29/more_news/26510 ; "
       "https://chargedevs.com/newswire/indian-firm-eam-to-invest-650-million-in-north-carolina-ev-battery-"
       "manufacturing-facility")
WWR = ("https://silicon.co.uk/press-release/westwater-announces-25-additional-increase-in-phase-i-production-to-"
       "12500-mt-annually-while-maintaining-existing-budget")
VIA = ("https://www.auto123.com/en/news/vianode-synthetic-graphite-plant-ontario/73442/ ; "
       "https://electricautonomy.ca/ev-supply-chain/2025-01-21/vianode-as-graphite-factory-canada")
NMG = ("https://electricautonomy.ca/news/2024-02-15/nmg-panasonic-energy-gm-anode-deal/ ; "
       "https://metaltechnews.com/story/2024/02/21/tech-metals/gm-panasonic-secure-clean-na-graphite/1636.html")
G14 = ("https://peymantaeidi.net/stem-cell/?p=19823 ; "
       "https://www.cleanenergyexcellence.org/group14-selected-for-doe-award-negotiations-up-to-2000m/")
SILA = ("https://www.automotiveworld.com/news-releases/sila-opens-nations-first-automotive-scale-silicon-anode-plant-"
        "ushering-in-a-new-era-for-u-s-battery-manufacturing/")
NVX_2026 = "https://www.middle.news/articles/2026/01/28/novonix-advances-graphite-production-faces-delays-and-offtake-setback/amp"
VIA_2026 = ("https://thedeepdive.ca/vianode-ontario-graphite-mega-investment ; https://www.squidsite02.com/?p=1303182 "
            "(Reuters report via a secondary site)")
SYR_2026 = "https://www.electrive.com/2026/01/20/syrah-extends-tesla-graphite-deal-deadline-for-the-third-time"
G14_2026 = ("https://worldofsoftware.org/battery-company-group14-furloughs-workers-at-washington-factory-just-as-rival-"
            "sila-ramps-up/")
DOE_CANCEL = "https://particle.news/story/doe-terminates-about-720-million-in-battery-and-manufacturing-grants"

PLANTS: tuple[Plant, ...] = (
    Plant("C01", "LG Chem Clarksville TN (NCMA)", "TN", "NMC811", "C",
          S(60, "kt/yr", LGC, "phase 1 of the original 120 kt"), S(1600, "$M", LGC, "phase 1 of the original $3.2 B"),
          _v(21.0), S(2026, "year", LGC, "groundbreak Dec 2023 -> operations 2026"), None,
          _q(1, note="1 yr: licensed tech with captive offtakers (GM, Toyota)"), "Ni-CAM",
          "supplier (GM, Toyota offtake)", "C [S]",
          "GM 950 kt long-term CAM deal; Toyota $2.5 B contract"),
    Plant("C02", "LG Chem Clarksville TN expansion", "TN", "NMC811", "O",
          S(60, "kt/yr", LGC, "second half of the original 120 kt plan"),
          D(1600, "$M", LGC, "original $3.2 B for 120 kt minus $1.6 B phase 1"),
          _v(20.5), E(2029, "year", "§8.2"), _b(3), _q(1), "Ni-CAM", "—", "O [S orig. 120 kt]",
          "expansion to the originally planned 120 kt"),
    Plant("C03", "Ultium CAM Becancour QC (GM + POSCO Future M)", "QC", "NMC811", "C",
          S(30, "kt/yr", ULT, "30 kt CAM (+pCAM)"), S(1000, "$M", ULT, ">US$1 B total (phase 1 $400 M)"),
          _v(20.0), S(2026, "year", ULT, "construction from Mar 2022; delayed from H1-2025 to early 2026"), None,
          _q(1, note="1 yr: JV with the offtaker (LG Chem -> Ultium type, §6)"), "Ni-CAM", "GM-POSCO", "C [S]",
          "POSCO-majority JV; federal + Quebec support C$300 M applied as a capex reduction",
          provincial=S(300, "C$M", ULT, "federal + Quebec support")),
    Plant("C04", "EcoPro CAM Canada Becancour QC (EcoPro BM + SK On)", "QC", "NMC811", "C-paused",
          S(45, "kt/yr", ECO, "45 kt NCM (225 k EVs)"), S(886, "$M", ECO, "C$1.2 B ~ US$886 M"),
          _v(20.0), E(2028, "year", "§8.2; " + ECO, "planned H1-2026; paused Apr & Aug 2024 -> >=2027"),
          _b(2), _q(2), "Ni-CAM", "EcoPro-SK On", "C-paused [S]",
          "Ford withdrew 2025; paused twice (redesign) -> treated as a candidate; government C$644 M applied as a "
          "capex reduction",
          provincial=S(644, "C$M", ECO, "federal + Quebec support")),
    Plant("C05", "Umicore Loyalist ON (high-Ni CAM + pCAM)", "ON", "NMC811", "O (paused)",
          D(45, "kt/yr", UMI, "35 GWh stage 1 x ~1.4 t/GWh ~ 45-50 kt"),
          D(1330, "$M", UMI, "C$1.8 B capex / 1.37"), _v(20.5), E(2029, "year", "§8.2"), _b(3), _q(2),
          "Ni-CAM", "—", "O (paused) [D]",
          "paused Jul 2024, still paused (AESC NA supply served from Cheonan, Korea); government C$976 M applied as "
          "a capex reduction",
          provincial=S(976, "C$M", UMI, "government support (C$2.1 B stage 1)")),
    Plant("C06", "Redwood Materials Sparks NV (NCA)", "NV", "NCA", "O",
          D(27, "kt/yr", RWN, "CAM building 20 GWh/yr x 1.35 t/GWh"), E(600, "$M", "§8.2"),
          _v(21.0), E(2027, "year", "§8.2"), _b(2), _q(2), "Ni-CAM", "Panasonic offtake",
          "O [cap D: 20 GWh x 1.35; capex E]",
          "topped out Aug 2024; Panasonic KS CAM contract (2022); Nov 2025 layoffs incl. cathode engineering, "
          "pivot to grid storage"),
    Plant("C07", "Redwood Materials Camp Hall SC", "SC", "NMC811", "O",
          E(50, "kt/yr", "§8.2; " + RWS), E(1300, "$M", "§8.2", "$26k/t"), _v(20.5), E(2030, "year", "§8.2"),
          _b(3), _q(2), "Ni-CAM", "—", "O [E, $26k/t]",
          "campus announced Dec 2022 ($3.5 B, eventually 100 GWh cathode + anode foil); phased, uncertain"),
    Plant("C08", "Midwest greenfield mid-Ni / LMR CAM", "OH", "NMC622", "O",
          E(30, "kt/yr", "§8.2"), E(750, "$M", "§8.2"), _v(18.0), E(2029, "year", "§8.2"), _b(3), _q(2),
          "Ni-CAM", "OEM JV option", "O [E]",
          "generic plant; Ford and GM to commercialize LMR by 2030 (S&P Global, §1.3); 'Midwest greenfield' sited in OH",
          units_max=E(6, "modules", "§8.2 (generic plant)", MODULE_NOTE)),
    Plant("C09", "Mitra Chem Muskegon MI (LFP)", "MI", "LFP", "O",
          E(20, "kt/yr", "§8.2; " + MIT), E(350, "$M", "§8.2"), _v(6.0), E(2028, "year", "§8.2"),
          _b(2.5), _q(2), "LFP", "—", "O [E cap/capex; grant $125 M S]",
          "AmPLIFI with Sun Chemical; DOE $100 M + MI $25 M (Sep 2024), status after the 2025 DOE review unknown -> "
          "grant 0 in the base data (ira_2022_policy restores $125 M)"),
    Plant("C10", "St. Louis MO LFP site (ex-ICL)", "MO", "LFP", "O",
          S(30, "kt/yr", ICL, "2 x 15 kt"), D(550, "$M", ICL, "$400 M rose to ~$500-600 M: midpoint"),
          _v(6.0), E(2029, "year", "§8.2"), _b(2.5), _q(2), "LFP", "—", "O [S capex revised]",
          "ICL (Aleees tech) cancelled the project in Nov 2025 after DOE terminated its $197 M grant; kept as a site "
          "option without grant (ira_2022_policy restores the grant)"),
    Plant("C11", "LFP CAM co-located with Ford Marshall MI (CATL-licensed)", "MI", "LFP", "O",
          E(40, "kt/yr", "§8.2; " + FORD), E(700, "$M", "§8.2"), _v(5.8), E(2028, "year", "§8.2"), _b(2.5),
          _q(1, note="1 yr: licensed tech with a captive offtaker"), "C11", "Ford (PFE-licence risk)", "O [E]",
          "co-located with the Ford BlueOval Battery Park LFP cell plant (CATL licence)"),
    Plant("C12", "Gulf Coast TX/LA LFP greenfield", "TX", "LFP", "O",
          E(50, "kt/yr", "§8.2"), E(850, "$M", "§8.2", "$17k/t"), _v(5.8), E(2029, "year", "§8.2"), _b(2.5),
          _q(2), "LFP", "—", "O [E $17k/t]", "generic plant; 'Gulf Coast TX/LA' sited in TX",
          units_max=E(12, "modules", "§8.2 (generic plant)", MODULE_NOTE)),
    Plant("C13", "IN/MI LMFP greenfield", "IN", "LMFP", "O",
          E(25, "kt/yr", "§8.2"), E(500, "$M", "§8.2"), _v(7.0), E(2030, "year", "§8.2"), _b(3), _q(2),
          "LFP", "OEM JV option", "O [E]", "generic plant; 'IN/MI greenfield' sited in IN",
          units_max=E(8, "modules", "§8.2 (generic plant)", MODULE_NOTE)),
    Plant("A01", "Syrah Vidalia LA (natural graphite)", "LA", "NG", "E",
          S(11.25, "kt/yr", SYR), S(0, "$M", SYR, "sunk"), _v(7.0), S(2025, "year", SYR, "first AAM Jan 2024"), None,
          _q(2, src=f"{UPD} §1; {SYR_2026}", note="2 yr -> qualified 2027: Tesla issued a default notice (Jul 2025), "
                     "the qualification deadline was extended a third time, to 16 Mar 2026, and qualification is still "
                     "pending (update §1): first qualified tonne 2027 [E]"),
          "NG", "Tesla offtake", "E [S]",
          "feed from Balama, Mozambique; Tesla 8 kt/yr offtake in a qualification dispute; DOE LPO $102 M loan "
          "(financing not modelled); capex sunk, fixed O&M on the ~$200 M original cost",
          fom_basis=S(200, "$M", SYR, "~$200 M plant cost (§3.2)")),
    Plant("A02", "Syrah Vidalia LA expansion to 45 kt", "LA", "NG", "O",
          D(33.75, "kt/yr", SYR, "45 kt planned - 11.25 kt existing"), D(600, "$M", "§8.2; §3.2", "33.75 kt x $17.8k/t"),
          _v(6.8), E(2029, "year", "§8.2"), _b(3), _q(1, note="1 yr: same product as the qualified plant"),
          "NG", "—", "O [D 17.8k/t]", "expansion of the existing plant (sought +$350 M)"),
    Plant("A03", "Novonix Riverside Chattanooga TN (synthetic)", "TN", "SG", "C",
          S(20, "kt/yr", NVX, "20 kt target"), D(340, "$M", NVX, "48C $103 M / 0.30 ~ $343 M qualified basis"),
          _v(8.0), S(2026, "year", NVX, "commercial production 2025 (ramping)"), _b(1),
          _q(1, src=f"{UPD} §1; {NVX_2026}", note="battery-grade output for Panasonic delayed to H2-2027 (update §1): "
                                                  "online 2026, first qualified tonne 2027"),
          "SG", "Panasonic offtake (Stellantis terminated)", "C [D]",
          "DOE grant $100 M + 48C $103 M (48C-funded: no 45X on this facility); late 2026: Stellantis offtake "
          "terminated over specifications, pivot toward industrial-grade graphite until battery grade qualifies",
          ramp=E("0.2;0.5;0.8;0.95", "share of nameplate", f"{UPD} §1",
                 "battery grade from H2-2027: half a year at the first-year 40% of §6 (20%), then a slower ramp "
                 "50/80/95% (qualification trouble)"),
          grant=S(100, "$M", NVX, "DOE battery-materials grant (resized from $150 M), still standing"),
          credit_48c=S(103, "$M", NVX, "48C allocation")),
    Plant("A04", "Novonix new plant Chattanooga TN (synthetic)", "TN", "SG", "O",
          S(31.5, "kt/yr", NVX2, "21 + 10.5 kt"), S(944, "$M", NVX2, "$943.6 M eligible"), _v(7.8),
          S(2028, "year", NVX2, "full capacity end-2028"), _b(3), _q(1), "SG", "—", "C-cond. [S] -> candidate (update §1)",
          "late 2026: rests on a DOE LPO $754.8 M conditional loan (Dec 2024), so a candidate, not committed "
          f"(update §1, {NVX_2026}); the -150 bp financing benefit is not modelled; offtakes Panasonic, PowerCo "
          "(Stellantis terminated)"),
    Plant("A05", "Anovion Bainbridge GA (synthetic)", "GA", "SG", "O",
          S(40, "kt/yr", ANO), S(800, "$M", ANO), _v(7.8), E(2029, "year", "§8.2", "planned 2025, delayed"),
          _b(3), _q(2), "SG", "—", "O [S]",
          "DOE $117 M grant cancelled Oct 2025 ($13.8 M paid) -> grant 0 (ira_2022_policy restores it)"),
    Plant("A06-1", "Epsilon Leland NC phase 1 (synthetic)", "NC", "SG", "C",
          S(30, "kt/yr", EPS, "30 kt by 2027"), S(650, "$M", EPS, "$649.9 M"), _v(7.8),
          S(2027, "year", EPS, "30 kt by 2027; air permit Apr 2025, groundbreak 2025"), _b(2.5), _q(2), "SG", "—",
          "C [S]", "Indian parent (Epsilon Advanced Materials); 48C $115 M (no 45X on this facility)",
          credit_48c=S(115, "$M", EPS, "48C allocation")),
    Plant("A06-2", "Epsilon Leland NC phase 2 (+20 kt)", "NC", "SG", "O",
          S(20, "kt/yr", EPS, "30 kt -> 50 kt by 2031"), E(250, "$M", "§8.2", "phase 2 capex"), _v(7.8),
          S(2031, "year", EPS, "50 kt by 2031"), _b(2.5), _q(2), "SG", "—", "O [S, ph.2 E]",
          "second phase of A06 (A06 modelled as two projects: committed phase 1, candidate phase 2)"),
    Plant("A07", "Westwater Kellyton AL (natural CSPG)", "AL", "NG", "O",
          S(12.5, "kt/yr", WWR, "phase I, orig. 7.5 kt"), S(271, "$M", WWR, "orig. $202 M"), _v(7.2),
          E(2028, "year", "§8.2"), _b(2.5), _q(2), "NG", "—", "O [S]",
          "financing-dependent; offtake up to 10 kt/yr"),
    Plant("A08", "Vianode St. Thomas ON phase 1 (synthetic)", "ON", "SG", "C",
          S(35, "kt/yr", f"{UPD} §1; {VIA_2026}", "phase 1 committed: 35 kt/yr from late 2028"),
          D(1460, "$M", f"{UPD} §1; {VIA_2026}", "initial investment about C$2 B / 1.37 CAD/USD (~$41.7k/t)"), _v(7.0),
          S(2028, "year", f"{UPD} §1; {VIA_2026}", "production pushed back from 2027 to late 2028 (slower U.S. EV "
                                                   "demand): online 2028, first qualified tonne 2029"),
          _b(3), _q(1), "SG", "GM offtake", "C [S/D] phase 1 (update §1)",
          "late-2026 status: phase 1 (35 kt) committed, the expansion to 150 kt 'by the early 2030s' is candidate "
          "A08-2; GM supply deal 2027-2033 (offtakes sheet); Ontario C$670 M is a loan -> no capex reduction"),
    Plant("A08-2", "Vianode St. Thomas ON expansion to 150 kt (synthetic)", "ON", "SG", "O",
          D(115, "kt/yr", f"{UPD} §1; {VIA}", "150 kt full build - 35 kt phase 1"),
          D(876, "$M", f"{UPD} §1; {VIA}", "full build C$3.2 B - phase 1 C$2 B = C$1.2 B / 1.37 (~$7.6k/t: the "
                                           "phase-1 site and utilities carry the expansion)"), _v(7.0),
          E(2031, "year", f"{UPD} §1", "'by the early 2030s': online 2031 at the earliest"), _b(3),
          _q(1, note="1 yr: same product as the qualified phase 1"), "SG", "—", "O (update §1)",
          "expansion of A08 with its own capex (update §1)",
          ramp=E("0.333;0.667", "share of nameplate", "§8.2", "ramped ~40-50 kt/yr as the §8.2 150 kt plan (50 kt/yr)")),
    Plant("A09", "Nouveau Monde Graphite Becancour QC (natural)", "QC", "NG", "O",
          S(43, "kt/yr", NMG, "~43 kt CSPG"), D(675, "$M", NMG, "Becancour plant C$923 M / 1.37; the Matawinie mine "
                                                         "(+$350 M) is left out: the variable cost is all-in"),
          _v(6.5), E(2028, "year", "§8.2", "target 2027, ~3 yr construction"), _b(3), _q(2), "NG",
          "GM/Panasonic equity+offtake", "O [S/D]",
          "GM 18 kt + Panasonic 18 kt/yr offtake (6-7 yr) and equity"),
    Plant("A10", "Group14 BAM-2 Moses Lake WA (Si-C)", "WA", "SIC", "C",
          S(4, "kt/yr", G14, "2 x 2 kt"), D(22.3, "$M", f"{UPD} §1; {G14_2026}", "about 90% built: the 10% of the "
                                                                         "$223 M capex still to spend"), _v(40.0),
          E(2028, "year", f"{UPD} §1; {G14_2026}", "committed but delayed: workers furloughed and production shifted "
                                                   "to Group14's Korean plant (update §1); no output before 2029 [E]: "
                                                   "completion 2028, qualification 1 yr"),
          None, _q(1, note="1 yr: the SCC55 product is qualified from the Korean plant"), "SIC", "Porsche-backed",
          "E [S] -> committed, delayed (update §1)", "SCC55 silicon-carbon; a Korea Si-C import option (I18) "
          "stands for Group14's Korean output",
          grant=S(100, "$M", G14, "DOE grant (plus up to $200 M for the silane plant, not modelled)"),
          fom_basis=S(223, "$M", G14, "fixed O&M on the full $223 M plant")),
    Plant("A11", "Sila Moses Lake WA (Si-C)", "WA", "SIC", "E",
          E(2, "kt/yr", "§8.2; " + SILA, "initial 2-5 GWh-equivalent"), S(300, "$M", SILA), _v(40.0),
          S(2026, "year", SILA, "operations began Sep 2025"), None, _q(2), "SIC", "Mercedes/Panasonic", "E [S capex]",
          "Titan Silicon",
          grant=S(100, "$M", SILA, "DOE grant")),
    Plant("A12", "Southeast synthetic graphite greenfield", "GA", "SG", "O",
          E(50, "kt/yr", "§8.2"), E(1000, "$M", "§8.2", "$20k/t"), _v(7.8), E(2030, "year", "§8.2"), _b(3), _q(2),
          "SG", "OEM JV option", "O [E $20k/t]", "generic plant; 'Southeast greenfield' sited in GA",
          units_max=E(10, "modules", "§8.2 (generic plant)", MODULE_NOTE)),
    Plant("A13", "Si-C modular expansion, Moses Lake WA", "WA", "SIC", "O",
          E(2, "kt/yr", "§3.2; " + G14, "one 2 kt module, as Group14 BAM-2's modules"),
          D(111.6, "$M", "§3.3; " + G14, "2 kt x Group14's $55.8k/t"), _v(40.0),
          E(2027, "year", "§6", "Si-C build 2 yr from 2025"), _b(2, note="Si-C build time 2 yr (§6)"),
          _q(2, note="Si-C qualification 2 yr (§6)"), "SIC", "—", "O [E]",
          "generic Si-C expansion (Group14 / Sila scale-up: Sila 'up to 250 GWh', §3.2); §8.2 lists no Si-C "
          "candidate and §8.3 no Si-C import, so without it Si-C demand beyond 6 kt/yr could not be met",
          units_max=E(10, "modules", "§3.2", MODULE_NOTE + "; 10 modules (20 kt) since Si-C is an optional blend")),
)

# operating decisions of existing and committed plants (issue 12 mechanisms) [E]
AVOIDABLE = E(0.7, "share of fixed O&M", "§6; " + f"{UPD} §1",
              "the plants whose output is in doubt (Syrah Vidalia A01, Group14 A10, Sila A11) may be mothballed year "
              "by year: 70% of fixed O&M saved in an idle year (staff furloughed, utilities off; site, insurance and a "
              "care crew stay) - Group14's furlough (update §1) is such a year. The cathode plants and the graphite "
              "plants with captive offtakes run (no mothball decision: fewer binaries, same plans)")
MOTHBALL = ("A01", "A10", "A11")
RESTART = E(0.005, "x capex basis", "§6", "restart after an idle year: 0.5% of the plant's cost (recommissioning, "
            "re-qualifying batches with the cell maker)")
CANCELLABLE = E("A06-1, A10", "", f"{UPD} §1; §3.2",
                "committed plants not yet online whose construction can still stop: Epsilon phase 1 (no offtake in the data) and "
                "the delayed Group14 BAM-2; Vianode phase 1 was committed in 2026 with a GM offtake (update §1) and LG Chem, "
                "Ultium CAM and Riverside start 2026: taken as built")
CANCEL_COST = E(0.05, "x capex", "§3.2", "cancellation cost 5% of the plant's capex (contract break fees, site "
                "restoration) on top of what is already spent")
RETIRE = E(5_000_000, "$", "§3.2", "existing plants (Syrah Vidalia, Sila) may retire early: $5 M severance and "
           "decommissioning")

# grants not paid in the base data, restored by the ira_2022_policy overrides ("all original DOE awards")
IRA_GRANTS = {
    "C09": S(125, "$M", MIT, "Mitra Chem DOE $100 M + MI $25 M; uncertain after the 2025 DOE review -> 0 in the base data"),
    "C10": S(197, "$M", ICL + " ; " + DOE_CANCEL, "ICL DOE grant, cancelled Oct 2025 -> 0 in the base data"),
    "A05": S(117, "$M", ANO, "Anovion DOE grant, cancelled Oct 2025 ($13.8 M paid) -> 0 in the base data"),
}

# joint ventures (candidates only): project -> (partner, partner region)
JOINT_VENTURES = (
    ("C06", "Panasonic", "NV", "Panasonic offtake (§8.2)"),
    ("C08", "OEM", "OH", "OEM JV option (§8.2)"),
    ("C11", "Ford", "MI", "co-located with Ford's Marshall cell plant (§8.2)"),
    ("C13", "OEM", "MI", "OEM JV option (§8.2)"),
    ("A09", "GM/Panasonic", "MI", "GM/Panasonic equity + offtake (§8.2, §3.2)"),
    ("A12", "OEM", "GA", "OEM JV option (§8.2)"),
)

# --------------------------------------------------------------------------------------------
# import contracts (§8.3)
# --------------------------------------------------------------------------------------------

SMM = "https://nenpower.com/blog/current-trends-and-pricing-analysis-of-cathode-materials-in-the-metal-market"
ENERGYTREND = "https://m.energytrend.com/battery-price.html"
BTR = "https://www.zawya.com/en/business/manufacturing/china-ev-battery-maker-btr-to-build-cathode-plant-in-morocco-q6kk3a87"
SPG = ("https://www.spglobal.com/automotive-insights/en/blogs/2026/01/cam-international-market-navigates-shifting-ev-"
       "supply-and-demand")


@dataclass(frozen=True)
class Import:
    id: str
    origin: str
    commodity: str
    price: Fig  # $/kg delivered to a U.S. port, 2025, before tariff
    max_kt: Fig | None  # kt/yr; None = unlimited
    feoc: Fig  # from the PFE/FEOC column
    note: str
    first_year: int | None = None


IMPORTS: tuple[Import, ...] = (
    Import("I01", "China", "NMC811", D(17.9, "$/kg", f"§8.3; {SMM}", "SMM NCM 8-series $17.6 [S] + $0.3 freight [E]"),
           None, S(True, "", "§8.3", "PFE/FEOC: yes"), "SMM NCM 8-series + freight to a U.S. port"),
    Import("I02", "China", "LFP", S(4.1, "$/kg", f"§8.3; {SMM}", "SMM LFP $3.6-4.1, upper end"), None,
           S(True, "", "§8.3", "PFE/FEOC: yes"), "SMM LFP price"),
    Import("I03", "China", "SG", D(3.9, "$/kg", f"§8.3; {ENERGYTREND}", "synthetic graphite anode mid ~$3.6k + freight"),
           None, S(True, "", "§8.3", "PFE/FEOC: yes"),
           "AD/CVD provisional cash deposits (Jul 2025-Mar 2026) ended by the ITC negative vote; assumed refunded"),
    Import("I04", "China", "NG", D(4.1, "$/kg", f"§8.3; {ENERGYTREND}", "natural graphite anode mid ~$3.8k + freight"),
           None, S(True, "", "§8.3", "PFE/FEOC: yes"), "natural graphite anode"),
    Import("I05", "Korea", "NMC811", E(20.3, "$/kg", "§8.3", "China price +15%"),
           E(80, "kt/yr", "§8.3"), E(False, "", "§8.3; §4.5", "PFE/FEOC 'partial (pCAM)': the supplier is not "
                                                             "FEOC-owned; its Chinese pCAM shows in 45X only"),
           "POSCO/EcoPro/L&F NMC811/NCMA"),
    Import("I06", "Japan", "NCA", E(20.8, "$/kg", "§8.3"), E(30, "kt/yr", "§8.3"), S(False, "", "§8.3", "PFE/FEOC: no"),
           "SMM/Sumitomo-type supply to Panasonic"),
    Import("I07", "Korea", "SG", E(6.8, "$/kg", "§8.3"), E(20, "kt/yr", "§8.3", "POSCO Future M Pohang plant [S]"),
           E(False, "", "§8.3", "PFE/FEOC 'partial': supplier not FEOC-owned"), "POSCO Future M Pohang synthetic"),
    Import("I08", "Morocco", "LFP", E(4.6, "$/kg", "§8.3"),
           S(50, "kt/yr", f"§8.3; {BTR}", "BTR Tangier 50 kt, first 25 kt Sep 2026"),
           S(True, "", "§8.3; §4.5", "PFE/FEOC: yes (Chinese-owned)"), "BTR Tangier (Chinese-owned, FTA country)",
           first_year=2027),
    Import("I09", "Indonesia", "NMC811", E(17.8, "$/kg", f"§8.3; {SPG}", "S&P: U.S. may source from Indonesia [S]"),
           E(40, "kt/yr", "§8.3"), E(True, "", "§8.3", "PFE/FEOC 'mostly yes' -> flagged FEOC"),
           "Indonesian (largely Chinese-owned) Ni-CAM"),
    Import("I12", "India", "SG", E(4.9, "$/kg", "§8.3", "Epsilon India parent"), E(20, "kt/yr", "§8.3"),
           S(False, "", "§8.3", "PFE/FEOC: no"), "Epsilon's Indian parent"),
    Import("I14", "China", "NMC622", D(15.2, "$/kg", f"§4.1; {SMM}", "SMM NCM 6-series mono $14,878/t [S] + $0.3/kg "
                                                                    "freight as I01 [E]"),
           None, S(True, "", "§4.5", "China: FEOC"), "added: §8.3 has no NMC622 import; price from §4.1"),
    Import("I15", "China", "LMFP", D(5.5, "$/kg", f"§4.1; {SMM}", "SMM LMFP $5,198/t [S] + $0.3/kg freight [E]"),
           None, S(True, "", "§4.5", "China: FEOC"), "added: §8.3 has no LMFP import; price from §4.1"),
    Import("I17", "China", "SIC", E(25.0, "$/kg", "§3.3; §1.1", "no Si-C price in the data: Chinese Si-C (Guojia "
                                                         "100 kt at ~$29k/t capex, §3.3) at ~60% of the U.S. cost"),
           None, S(True, "", "§4.5", "China: FEOC"), "added (issue 13): Si-C import option, China"),
    Import("I18", "Korea", "SIC", E(36.0, "$/kg", f"{UPD} §1", "Group14's Korean plant (now wholly owned) took over "
                                                               "Moses Lake's production: 10% below the U.S. cost"),
           E(4, "kt/yr", f"{UPD} §1", "about BAM-2's 4 kt"), S(False, "", "§4.5", "Korea: FTA, not FEOC"),
           "added (update §1): Group14 Korea Si-C"),
    Import("I19", "Japan", "SIC", E(40.0, "$/kg", "§4.2", "Japanese Si-C at the U.S. cost"),
           E(2, "kt/yr", "§3.2", "small specialty supply"), S(False, "", "§4.5", "Japan: not FEOC"),
           "added (issue 13): Si-C import option, Japan"),
    Import("I16", "China", "NCA", D(18.2, "$/kg", f"§4.1; {SMM}", "SMM NCA $17,934/t [S] + $0.3/kg freight [E]"),
           None, S(True, "", "§4.5", "China: FEOC"), "added: §8.3 imports NCA only from Japan (30 kt); price from §4.1"),
)
I08_RAMP = {2027: E(25, "kt/yr", f"§8.3; {BTR}",
                    "'25 (2027+) -> 50': 25 kt in 2027, 50 kt from 2028 (first 25 kt phase from Sep 2026)")}
LEFT_OUT_IMPORTS = (
    ("I10", "Canada NG (NMG output if not built as A09)", "A09 is a candidate plant in QC: the model builds it or "
     "not; a contract for the same output would double count"),
    ("I11", "Canada SG (Vianode output if not A08)", "A08 is committed (fixed): its output is already supply"),
    ("I13", "Australia/Chile LCE (upstream, optional)", "now in the input tier as I23 (Chile lithium carbonate, "
     "standing for FTA lithium from Chile and Australia)"),
)

# --------------------------------------------------------------------------------------------
# the input tier (issue 13): pCAM, lithium salts, iron phosphate
# --------------------------------------------------------------------------------------------
# The U.S. CAM plants buy their precursor and lithium salt (nickel CAM) or lithium carbonate and iron
# phosphate (LFP/LMFP) instead of carrying them in an all-in variable cost (§4.1 metal pass-through):
# the plant's price moves with its inputs and its 45X MACR is the value-weighted non-PFE share of what
# it buys. Every input has a market price (the world, mostly Chinese, spot market delivered to a U.S.
# port; its PFE share per tonne) that also values it in the 45X basis and the MACR, and the non-PFE
# alternatives the data name are contracts (Korea pCAM, Ascend Elements' Kentucky pCAM, Chile/Australia
# lithium carbonate, Thacker Pass carbonate).

CNY_PER_USD = 7.2  # data file convention [E]


@dataclass(frozen=True)
class Input:
    id: str
    family: str
    name: str
    price: Fig  # market price, $/t delivered to a U.S. port (the reference price too)
    pfe: Fig  # market_pfe_share
    description: str


INPUTS = (
    Input("pCAM", "precursor", "NCM/NCA precursor (pCAM, nickel hydroxide)",
          D(11_560, "$/t", f"§4.1; {ET_URL}; §4.3", "EnergyTrend NCM811 pCAM 81.1k CNY/t / 7.2 = $11,264 ex-works + "
            "$0.3/kg ocean freight to a U.S. port (as I01) = $11,564, rounded; the spot pCAM a U.S. plant buys is "
            "Chinese-made: no Section 301 duty is added (the pCAM line rate, HTS 2825.90.90, is unverified, §4.4) "
            "[E]; NMC622 and NCA precursors priced alike (their metal baskets at the §4.1 metal prices are within "
            "5%: NMC622 Ni 0.363 x 15.5 + Co 0.122 x 33 + Mn 0.113 x 2 = $9.9/kg CAM vs NMC811 $9.5/kg) [D/E]"),
          E(0.9, "share", "§4.5", ">90% of Korean pCAM imports come from China (§4.5): spot pCAM is counted 90% PFE"),
          "NCM/NCA precursor bought spot or under contract by the U.S. nickel-CAM plants"),
    Input("LiOH", "raw", "Lithium hydroxide monohydrate",
          D(9_100, "$/t", "§4.1; §4.2; §4.3", "LCE $10/kg (2025 reference, §4.2) at lithium parity: 1 t LiOH.H2O "
            "= 73.89 / (2 x 41.96) = 0.880 t LCE -> $8,800 + $0.3/kg freight = $9,100"),
          E(0.65, "share", "§4.5; §3.1", "share of spot lithium salts refined by prohibited foreign entities: about "
            "two thirds (China's refining share; not in the data) [E]"),
          "lithium salt of the nickel chemistries (NMC811, NMC622, NCA)"),
    Input("Li2CO3", "raw", "Lithium carbonate (battery grade)",
          D(10_300, "$/t", "§4.1; §4.2; §4.3", "LCE $10/kg (2025 reference) + $0.3/kg freight"),
          E(0.65, "share", "§4.5; §3.1", "as lithium hydroxide [E]"),
          "lithium salt of LFP and LMFP"),
    Input("FePO4", "precursor", "Iron phosphate (LFP/LMFP precursor)",
          D(1_790, "$/t", f"§4.1; {ET_URL}; §4.3", "EnergyTrend FePO4 10.7k CNY/t / 7.2 = $1,486 + $0.3/kg freight"),
          E(0.8, "share", "§5.1; §8.2", "iron-phosphate precursors 'largely Chinese' (the LFP PFE-share note): "
            "80% PFE; the data name no non-Chinese FePO4 source, so it is bought spot only (one status: its share "
            "is fixed, not a decision) [E]"),
          "phosphate precursor of LFP; LMFP's Mn/Fe phosphate priced as FePO4 [E]"),
    Input("SPG", "precursor", "Spherical graphite (purified natural, uncoated)",
          D(2_860, "$/t", "§4.1; §4.4; §4.3", "Fastmarkets spherical graphite 99.95% 15 um fob China $2,000-2,100/t "
            "(Dec 2023, §4.1): mid $2,050 + Sec. 301 25% on Chinese natural graphite from 1 Jan 2026 (§4.4 [S]; "
            "spherical graphite enters as natural graphite, HTS 2504.10 [E]) = $2,562.5 + $0.3/kg ocean freight "
            "(§4.3) = $2,862.5, rounded to $2,860; no 10% successor duty (Sec. 122 exempts critical minerals, §4.4)"),
          E(0.95, "share", "§4.2; §1.1", "China makes >92% of anode graphite (§4.2, Stanford) and practically all "
            "spherical graphite: spot spherical graphite is counted 95% PFE"),
          "feed of the natural-graphite anode plants that buy it (purify, shape and coat are theirs)"),
    Input("coke", "raw", "Needle coke / calcined petroleum coke (synthetic-graphite feed)",
          E(1_000, "$/t", "§4.1; §4.3", "no coke price in the data: derived from §4.1 - synthetic anode mid 25.8k "
            "CNY/t / 7.2 = $3,583/t; graphitization toll mid 8.25k CNY/t / 7.2 = $1,146/t, '~45% of mid/low-end "
            "synthetic cost' -> cost $1,146 / 0.45 = $2,546/t of anode (the rest of the $3,583 price is margin); "
            "cost without graphitization $2,546 - 1,146 = $1,400/t, of which crushing, shaping, coating and "
            "carbonization $400/t [E] and coke $1,000/t of anode; over 1.4 t coke per t anode = $714/t, rounded "
            "to $700/t fob China [E] + $0.3/kg freight (§4.3, bagged-powder rate; bulk coke ships cheaper) = "
            "$1,000/t delivered to a U.S. port. No duty: coke is no graphite (not in the Sec. 301 graphite lines) [E]"),
          E(0.7, "share", "§4.2; §3.2", "the world anode-grade coke market is mostly Chinese (China >92% of anode "
            "graphite, §4.2, and makes most of its coke; the data give no coke shares): spot coke counted 70% PFE"),
          "feed of the U.S. synthetic-graphite anode plants (needle coke or calcined green petroleum coke)"),
)
# chemistry -> ((input, t per t Fig), ...)
_PCAM_T = D(0.96, "t/t", "§1.2", "NMC811 LiNi0.8Co0.1Mn0.1O2 97.3 g/mol from Ni0.8Co0.1Mn0.1(OH)2 92.3 g/mol: "
            "0.949 t/t + ~1% process loss [E]; NMC622 and NCA at the same ratio [E]")
_LIOH_T = D(0.43, "t/t", "§1.2; §4.1", "0.38 t LCE per t NMC/NCA x 1.136 t LiOH.H2O per t LCE = 0.432")
_LI2CO3_T = S(0.235, "t/t", "§1.2; §4.1", "0.235 t LCE per t LFP/LMFP (stoichiometry)")
_FEPO4_T = S(0.96, "t/t", "§4.1", "~0.96 kg FePO4 per kg LFP (§4.1 basket); LMFP the same [E]")
_SPG_T = E(1.05, "t/t", "§4.1", "spherical graphite per t coated natural anode: ~5% loss in coating and "
           "carbonization (the data give no yield)")
_COKE_T = E(1.4, "t/t", "§4.1", "needle/green coke per t synthetic anode: 1.3-1.5 t (volatiles and losses in "
            "calcination and graphitization; the data give no yield), mid 1.4")
RECIPES = {
    "NMC811": (("pCAM", _PCAM_T), ("LiOH", _LIOH_T)),
    "NMC622": (("pCAM", _PCAM_T), ("LiOH", _LIOH_T)),
    "NCA": (("pCAM", _PCAM_T), ("LiOH", _LIOH_T)),
    "LFP": (("Li2CO3", _LI2CO3_T), ("FePO4", _FEPO4_T)),
    "LMFP": (("Li2CO3", _LI2CO3_T), ("FePO4", _FEPO4_T)),
    "SG": (("coke", _COKE_T),),
    "NG": (("SPG", _SPG_T),),
}
# U.S. plants fed by their own mine: the feed stays inside their all-in variable cost (no input)
INTEGRATED = {"A01": "Syrah Vidalia, fed by Syrah's own Balama mine (Mozambique, §3.2)",
              "A02": "the Vidalia expansion, fed by Balama as the existing plant (§3.2)"}
OTHER_MATERIALS = {
    "Ni-CAM": E(200, "$/t", "§4.1; §5.1", "dopants, aluminium and coating materials of nickel CAM not modelled as "
                "commodities: $0.2/kg, counted in the plant's MACR at its pfe_cost_share"),
    "LFP": E(150, "$/t", "§4.1; §5.1", "carbon source and dopants of LFP/LMFP: $0.15/kg, at the plant's "
             "pfe_cost_share"),
    "C11": E(150, "$/t", "§4.1; §5.1", "as LFP"),
    "SG": E(200, "$/t", "§4.1; §5.1", "binder and coating pitch of synthetic anode not modelled as commodities: "
            "$0.2/kg, at the plant's pfe_cost_share"),
    "NG": E(150, "$/t", "§4.1; §5.1", "coating pitch and carbon of natural anode: $0.15/kg, at the plant's "
            "pfe_cost_share"),
}
INPUT_SCOPE = E("U.S. CAM plants, U.S. graphite anode plants", "", "§3.1; §3.2; §4.1; §8.2",
                "who buys inputs: every U.S. CAM plant (C01, C02, C06-C13 and their JV variants), every U.S. "
                "synthetic-graphite plant (coke: A03, A04, A05, A06-1, A06-2, A12 and its JV variant) and the "
                "natural-graphite plant without its own mine (spherical graphite: Westwater A07). Left out: the "
                "Canadian plants (C03 Ultium CAM and C05 Umicore make their own pCAM, §3.1; Vianode A08 and NMG A09 "
                "on its Matawinie mine, §3.2; none earns 45X, which needs U.S. production) and Syrah Vidalia A01/A02, "
                "fed by Syrah's own Balama mine (§3.2): they keep the all-in variable cost, and Syrah's 45X stays "
                "decided by its pfe_cost_share (NG 0); Si-C (no input in the data)")
SPLIT_NOTE = ("variable_cost is now the conversion cost: the §8.2 all-in variable cost minus the inputs at their "
              "reference (= market) prices, so that conversion + inputs = the former all-in cost at reference prices "
              "and the 45X basis (variable cost + inputs at market price) is unchanged")


@dataclass(frozen=True)
class InputContract:
    id: str
    origin: str
    commodity: str
    price: Fig  # $/t delivered to a U.S. port (domestic origins: at the plant gate of the origin region)
    max_t: Fig | None
    feoc: Fig
    note: str
    first_year: Fig | None = None
    sites: tuple[str, ...] = ()  # sites it can reach (empty: every site of a plant that uses the input)
    sites_note: Fig | None = None


ASCEND = ("https://www.industryintel.com/sustainability-and-social-responsibility/news/ascend-elements-apex-1-campus-"
          "in-hopkinsville-ky-to-begin-pcam-production-in-early-2025-facility-will-employ-400-workers-produce-27kt-"
          "of-decarbonized-pcam-annually-by-2026-164978348688 ; https://953thefarm.com/ascend-elements-presses-on-"
          "after-316-million-grant-rescinded-by-doe")
THACKER = "https://www.cbtnews.com/?p=227591 ; https://starfeu.com/?p=2519"
INPUT_CONTRACTS = (
    InputContract("I20", "Korea", "pCAM",
                  E(12_350, "$/t", "§8.3; §4.5", "Korean pCAM at China +7% ($11,264 x 1.07 = $12,052) + $0.3/kg "
                    "freight: Korean pCAM makers refine Chinese intermediates at a small premium (I05 prices Korean "
                    "CAM at China +15%)"),
                  E(60_000, "t/yr", "§4.5; §3.1", "Korean pCAM capacity offered to U.S. CAM plants (LG Chem, POSCO "
                    "Future M and EcoPro supply chains): enough for ~60 kt of CAM"),
                  E(False, "", "§4.5", "supplier Korean-owned, not a PFE: its pCAM counts as non-PFE in the buyer's "
                    "MACR (IRS Notice 2026-15 lets the buyer rely on its supplier's certification, update §2)"),
                  "Korean pCAM (non-PFE supplier)"),
    InputContract("I21", "KY", "pCAM",
                  E(12_350, "$/t", "§3.1", "recycled pCAM from Ascend Elements Apex 1 at the Korean price"),
                  S(27_000, "t/yr", f"§3.1; {ASCEND}", "27 kt pCAM (2026 plan)"),
                  S(False, "", "§3.1", "U.S.-owned"),
                  "Ascend Elements Apex 1, Hopkinsville KY (recycled pCAM): a domestic precursor supply offer",
                  first_year=E(2027, "year", f"§3.1; {ASCEND}", "construction paused 2025, restart 2026: first "
                               "pCAM 2027 [E]")),
    InputContract("I23", "Chile", "Li2CO3",
                  E(10_800, "$/t", "§8.3 I13; §4.1", "the LCE index $10,000 +5% for traced non-PFE material [E] + "
                    "$0.3/kg freight"),
                  None, S(False, "", "§8.3 I13; §4.5", "FTA, not PFE"),
                  "FTA lithium carbonate (Chile/Australia: §8.3 I13, unlimited)"),
    InputContract("I24", "NV", "Li2CO3",
                  E(10_000, "$/t", f"§3.1; {THACKER}", "at the LCE index (no ocean freight)"),
                  S(40_000, "t/yr", f"§3.1; {THACKER}", "Thacker Pass phase 1: 40 kt/yr Li2CO3"),
                  S(False, "", "§3.1", "Lithium Americas / GM, U.S."),
                  "Thacker Pass NV lithium carbonate (domestic)",
                  first_year=S(2028, "year", f"§3.1; {THACKER}", "phase 1 late 2027: first full year 2028")),
    InputContract("I25", "Mozambique", "SPG",
                  E(2_970, "$/t", "§4.1; §8.3; §4.3", "non-Chinese spherical graphite (Balama flake shaped and "
                    "purified outside China) at the Chinese fob price x 1.30 + $0.3/kg freight: $2,050 x 1.30 = "
                    "$2,665 + $300 = $2,965, rounded. The 1.30 is half the premium of non-Chinese over Chinese "
                    "natural AAM in §8.3 (I10 Canada $6.6 / I04 China $4.1 = 1.61), as the cathode side prices "
                    "Korean pCAM (+7%) at about half Korean CAM's premium (+15%); no tariff row (Sec. 122 exempts "
                    "critical minerals, §4.4); lands at Savannah (an Atlantic origin, as Morocco)"),
                  None, S(False, "", "§3.2; §4.5", "Mozambique is no FEOC jurisdiction; Balama is Syrah's "
                                                   "(Australian) mine"),
                  "non-Chinese spherical graphite from Balama flake (Mozambique, §3.2); volume unlimited [E]: "
                  "Balama also feeds Vidalia and the data give its output no cap"),
    InputContract("I26", "Japan", "coke",
                  E(1_260, "$/t", "§4.1; §8.3; §4.5; §4.3", "non-Chinese needle coke at the derived Chinese fob "
                    "price x 1.37 + $0.3/kg freight: $700 x 1.37 = $959 + $300 = $1,259, rounded. The 1.37 is half "
                    "the premium of non-Chinese over Chinese synthetic AAM in §8.3 (I07 Korea $6.8 / I03 China $3.9 "
                    "= 1.74), the rule of I25; Japan stands for the non-PFE coke makers (Japan, Korea; the data "
                    "name none), a CMA partner (§4.5); pays Japan's 10% from 2026 (policy sheet)"),
                  None, S(False, "", "§4.5", "Japanese supplier, not a PFE"),
                  "non-PFE needle coke (Japan/Korea coke makers); volume unlimited [E]",
                  sites=("TN",),
                  sites_note=E("TN", "sites", "§5.1; §8.2; §8.4", "lean form: the offer is delivered to Chattanooga TN "
                    "only (Novonix's new plant A04, first qualified tonne 2029; Riverside A03 has 48C, no 45X). The "
                    "other U.S. synthetic plants (Anovion A05 and the Southeast greenfield A12 in GA, Epsilon phase 2 "
                    "in NC) qualify in 2031 or later, when the 45X phase-down pays at most 10% x $7,800 x 0.5 = "
                    "$390/t of anode, less than the cheapest way to reach the 85% MACR with this coke (a share f >= "
                    "0.776 of the coke non-PFE: 0.776 x 1.4 t x ($1,260 x 1.10 - $1,000) = $419/t before inland "
                    "freight); coke serves no other rule, so no plan would buy it there. Leaving those links out "
                    "removes 45X sourcing binaries that could only be 0 (with them, feoc_import_ban_2028 and "
                    "china_tariffs_high took 1.5-1.8x as long in HiGHS: the greenfield's ten modules make their "
                    "gates weak). Those plants buy spot coke and fail their MACR test by the data. Revisit when the "
                    "45X rate, the phase-down or the coke prices change")),
)
LEFT_OUT_INPUTS = (
    ("U.S. refinery needle coke", "§3.2; §4.1", "U.S. refineries make needle and green coke, but the data name no "
     "producer, volume or price for anode coke: the non-PFE coke offer is I26 (Japan) only; a domestic offer at a "
     "similar price would mostly save the ocean freight"),
    ("Syrah's Balama feed as a contract", "§3.2", "Vidalia (A01, A02) runs on Syrah's own Balama flake: a feed "
     "without a price in the data and without a choice (no spot alternative is plausible for an integrated plant); "
     "it stays in the all-in variable cost, so Syrah's 45X is not a sourcing decision"),
    ("Chinese controls on spherical graphite / coke", f"{UPD} §2", "the export-control case names "
     "artificial-graphite anode, not spherical graphite or coke: the anode inputs keep their prices in it"),
    ("FTA lithium hydroxide", "§8.3 I13; §3.1", "the data's FTA lithium (I13, Australia/Chile) is LCE, i.e. carbonate "
     "(I23); no non-PFE hydroxide offer is in the data (Tesla Robstown is captive, Piedmont's TN plant abandoned, "
     "Albemarle's SC plant not built): the nickel-CAM plants buy hydroxide spot at its PFE share, so their MACR "
     "tops out at ~83% (all-non-PFE pCAM) - enough up to 2029's 80%, not for 85% from 2030. Also the lean choice: "
     "a graded hydroxide doubled the 45X sourcing binaries of the nickel plants (2030-2032) and made current_law "
     "~1.7x slower in HiGHS in a paired run (load ~3), for a choice the data price only by an assumed premium"),
    ("Tesla Robstown TX LiOH", "§3.1", "captive to Tesla's own cathode and cells: not offered to the modelled plants"),
    ("Chinese input contracts", "§4.1; §4.4", "Chinese pCAM, lithium salts and FePO4 are the spot market (market "
     "price, PFE share): no separate contract, no duty (the line rates are unverified, §4.4) [E]"),
)
INPUT_EXPORT_CONTROLS = E(1.25, "x pCAM market price", f"{UPD} §2",
                          "NCM precursors are under MOFCOM Decision 58 (from 10 Nov 2026): spot pCAM becomes "
                          "third-country material made from Chinese intermediates at a scarcity premium of 25% [E]; "
                          "the Korean pCAM offer (I20) is halved as the Korean NMC811 import I05; both applied to "
                          "every year (the market price has no year: 2025-26 are mostly history)")

# --------------------------------------------------------------------------------------------
# offtake agreements of committed and existing plants (update §1, §3)
# --------------------------------------------------------------------------------------------

# id, project, buyer region, (first, last) Fig, min Fig (t/yr), max t/yr, price Fig ($/kg)
OFFTAKES = (
    ("OT-GM-VIANODE", "A08", "OH",
     S((2027, 2033), "years", f"{UPD} §1; {VIA}", "Vianode-GM offtake for synthetic graphite, 2027-2033"),
     E(15_000, "t/yr", f"{UPD} §1", "no volume published: 15 kt/yr minimum (~40% of phase 1) [E], up to phase 1's "
                                    "35 kt"), 35_000,
     S(7.1, "$/kg", "§8.3", "I11 Canadian synthetic graphite price (Vianode)")),
    ("OT-TESLA-SYRAH", "A01", "NV",
     E((2027, 2030), "years", f"{UPD} §1; {SYR_2026}", "Syrah-Tesla offtake, if qualified (deadline extended to "
                                                        "16 Mar 2026); term to 2030 [E]"),
     S(8_000, "t/yr", f"{UPD} §1; {SYR_2026}", "8 kt/yr if qualified"), 8_000,
     D(5.5, "$/kg", "§8.3", "priced at the landed Chinese natural graphite it replaces (I04 $4.1 x 1.35)")),
    ("OT-PANASONIC-NOVONIX", "A03", "KS",
     E((2027, 2031), "years", f"{UPD} §1; {NVX_2026}", "Panasonic offtake for battery-grade graphite from H2-2027 "
                                                        "(Stellantis terminated); term 5 yr [E]"),
     E(10_000, "t/yr", f"{UPD} §1", "no volume in the data: half of Riverside's 20 kt [E]"), 20_000,
     E(8.0, "$/kg", "§8.2", "at Riverside's all-in cost")),
    ("OT-GM-LGCHEM", "C01", "OH",
     S((2026, 2035), "years", LGC, "GM 950 kt long-term CAM deal (~95 kt/yr, more than phase 1 makes)"),
     E(36_000, "t/yr", "§3.1", "60% of the 60 kt phase 1 [E]: the 950 kt deal was sized for the original 120 kt"),
     60_000, E(21.0, "$/kg", "§8.2", "at the plant's all-in cost")),
    ("OT-TOYOTA-LGCHEM", "C01", "NC",
     D((2026, 2035), "years", LGC, "Toyota $2.5 B CAM contract"),
     D(12_000, "t/yr", f"§3.1; {LGC}", "$2.5 B / ~$21k/t = ~120 kt over ~10 years"), 15_000,
     E(21.0, "$/kg", "§8.2", "at the plant's all-in cost")),
    ("OT-GM-ULTIUMCAM", "C03", "OH",
     E((2026, 2035), "years", f"§3.1; {ULT}", "captive: GM-POSCO JV supplying GM's Ultium cells [E]"),
     E(24_000, "t/yr", "§3.1", "80% of 30 kt (captive JV output) [E]"), 30_000,
     E(20.0, "$/kg", "§8.2", "at the plant's all-in cost")),
)


def _offtakes(src: _Sources) -> list[dict[str, Any]]:
    out = []
    for oid, project, buyer, term, minimum, maximum, price in OFFTAKES:
        first, last = src.use(f"offtakes {oid} term", term)
        out.append({"offtake": oid, "project": project, "buyer_region": buyer,
                    "min_t": src.use(f"offtakes {oid} min_t", minimum), "max_t": maximum, "first_year": first,
                    "last_year": last, "price": src.use(f"offtakes {oid} price", price) * 1000,
                    "shortfall_penalty": None, "description": term.note})
    return out


# --------------------------------------------------------------------------------------------
# policy cases (§8.4, §5, §4.4)
# --------------------------------------------------------------------------------------------

CASES = ("current_law", "no_credits", "ira_2022_policy", "high_demand", "china_export_controls", "china_price_war",
         "lithium_spike", "section_232_tariff", "china_tariffs_high", "feoc_import_ban_2028")
CASE_TEXT = {
    "current_law": "The law as of late 2026 (IRA as amended by the OBBBA, Jul 2025), default demand: 45X for active "
                   "materials with the prohibited-foreign-entity (MACR) test and the 2030-32 phase-down; the $35/kWh "
                   "45X cell credit for U.S. cells that meet their MACR (60% in 2026 -> 85% from 2030), the 48E test "
                   "for storage cells (55% -> 75%); no 30D, no new 48C; DOE grants net of the 2025 cancellations; "
                   "tariffs after the IEEPA ruling (China 35%, partners 10%); committed plants' offtakes",
    "no_credits": "Current law without any credit or grant: no 45X (materials or cells), no 48E value, no 48C (also "
                  "the awarded ones), no DOE grant. What the credits do to the plan",
    "ira_2022_policy": "The IRA as enacted in 2022 with today's (default) demand: 45X and the cell credit without "
                       "foreign-entity tests, 30D sourcing as localization targets, all original DOE awards, Section "
                       "301 at 25% on China only. Policy axis only: demand as in current_law",
    "high_demand": "Current law with the IRA-era demand path (Argonne 1,080 GWh in 2030, ~1,600 GWh in 2035, scaled "
                   "to domestic cell output). Demand axis only: policy as in current_law",
    "china_export_controls": "Current law plus China's export controls (MOFCOM Decision 58) taking effect when their "
                             "suspension ends (10 Nov 2026): no Chinese LFP, LMFP or synthetic graphite anode from "
                             "2027, and Korean NMC811 halved (its precursors are Chinese)",
    "china_price_war": "Current law with Chinese CAM and AAM prices 20% lower (overcapacity dumping)",
    "lithium_spike": "Current law with lithium at its January 2026 level (LCE ~$22/kg against $10/kg) passed "
                     "through: +$4.6/kg on nickel CAM, +$2.8/kg on LFP/LMFP, imported and domestic alike",
    "section_232_tariff": "Current law plus a Section 232 tariff of 25% on processed critical minerals and derivative "
                          "products (cathode and anode materials) from every origin from 2027 (investigation opened "
                          "Apr 2025, outcome pending)",
    "china_tariffs_high": "COUNTERFACTUAL: current law plus the AD/CVD duties on Chinese anode material that the ITC "
                          "voted down on 12 Mar 2026 (185% on Chinese AAM) and 100% on Chinese CAM, from 2026. No such "
                          "duties are in force",
    "feoc_import_ban_2028": "Current law plus no imports from foreign entities of concern from 2028 and a target of "
                            "50/65/72/80% (2027/28/29/30+) of CAM and AAM from U.S./FTA non-FEOC supply (the strict "
                            "localization case of §8.4 P4)",
}
X45_RATE = S(0.10, "of production cost", "https://orrick.com/en/Insights/2022/11/Section-45X-of-the-Inflation-"
             "Reduction-Act-New-Tax-Credits-Available-to-Battery-Manufacturers ; §5.1",
             "45X electrode active materials: 10% of production costs (IRA, unchanged by OBBBA)")
X45_PHASE = S({2030: 0.75, 2031: 0.5, 2032: 0.25, 2033: 0.0}, "multiplier by year of sale",
              "https://www.law.cornell.edu/uscode/text/26/45X ; §5.1",
              "component phase-down 75% (2030), 50% (2031), 25% (2032), 0 (2033+); 1 before 2030")
X45_MACR = S({2026: 0.60, 2027: 0.65, 2028: 0.70, 2029: 0.80, 2030: 0.85}, "minimum non-PFE share",
             "https://www.law.cornell.edu/uscode/text/26/7701 ; https://www.congress.gov/crs-product/IF12809 ; §5.1",
             "MACR thresholds for qualifying battery components (incl. EAM) by year of sale, 85% from 2030; "
             "none in 2025 (tax years beginning after Jul 4 2025); per secondary summaries of the statute")
X45_NON_FEOC = S(True, "", "https://www.law.cornell.edu/uscode/text/26/45X ; §5.1",
                 "OBBBA: SFE/FIE taxpayers ineligible (current law and its variants); no such rule in the IRA 2022")
X48C_NONE = E(0.0, "", "§5.2; §8.4", "48C fully allocated: no new awards in any case (default no new 48C after 2025)")
GRANTS_NONE = S(0.0, "$", "§8.4", "no_credits: no DOE grant is paid")
IRA_Q = E(0.6, "share of EV GWh", "§8.4", "share q = 0.6 of EV GWh must meet the 30D critical-mineral rule")
IRA_CM = S({2025: 0.60, 2026: 0.70, 2027: 0.80}, "critical-mineral share",
           "https://www.greencarcongress.com/2022/08/20220809-ira.html ; §5.3",
           "30D critical-mineral share (U.S./FTA): 60% (2025), 70% (2026), 80% (2027+)")
IRA_TARGET_NOTE = ("30D sourcing translated into localization targets for CAM and AAM = q x EV share of GWh x CM "
                   "threshold [D/E]; FTA supply counts; FEOC supply is excluded in every year (the 30D graphite "
                   "FEOC transition to end-2026 is not modelled)")
STRICT_TARGET = E({2027: 0.50, 2028: 0.65, 2029: 0.72, 2030: 0.80}, "share of CAM and AAM demand", "§8.4",
                  "P4: >= 50% (2027), 65% (2028), 72% (2029), 80% (2030+) of CAM & AAM from U.S./FTA non-PFE "
                  "sources; PFE (FEOC) imports = 0 from 2028")

S301 = "https://frnow.com/Browse/Document/usa/na/fr/2024/9/18/2024-21217"
IEEPA = ("https://www.mondaq.com/unitedstates/international-trade-investment/1702374/58-november-4-2025-%7C-reducing-"
         "the-20-ieepa-fentanyl-tariffs-on-china-to-10-reciprocal-tariffs-on-china-remain-at-10-until-november-2026")
ADCVD = ("https://efficienttimes.com/2026/02/18/us-slaps-higher-tariffs-on-chinese-graphite-imports-after-final-"
         "commerce-determination")
# (origin, commodity or family or None) -> {case: (2025 value, 2026+ value)}, with the figure behind it
TARIFFS: tuple[tuple[str, str | None, dict[str, tuple[float, float]], Fig], ...] = (
    ("China", "CAM",
     {"current_law": (0.55, 0.35), "ira_2022_policy": (0.25, 0.25),
      "china_tariffs_high": (0.55, 1.00)},
     E("55% -> 35%; IRA 2022 policy 25%; P3 100%", "", f"§8.3; §8.4; §4.4; {S301} ; {IEEPA}",
       "2025: Sec. 301 25% (CAM line rate unverified, default 25% [E]) + IEEPA 30% [S]; 2026+: 25% + 10% assumed "
       "successor of the voided IEEPA tariffs [E]; ira_2022_policy: Sec. 301 only; china_tariffs_high (counterfactual): 100% from 2026 [E]")),
    ("China", "AAM",
     {"current_law": (0.55, 0.35), "ira_2022_policy": (0.25, 0.25),
      "china_tariffs_high": (0.55, 1.85)},
     E("55% -> 35%; IRA 2022 policy 25%; P3 185%", "", f"§8.3; §8.4; §4.4; {S301} ; {ADCVD}",
       "synthetic graphite (and the AAM family): 2025 Sec. 301 25% + IEEPA 30% [S]; 2026+: 25% + 10% [E]; "
       "china_tariffs_high (counterfactual): 25% + AD 93.5% + CVD 66.68% = 185% (Commerce final, Feb 2026 [S]; no orders after the "
       "ITC negative vote)")),
    ("China", "NG",
     {"current_law": (0.30, 0.35), "ira_2022_policy": (0.25, 0.25),
      "china_tariffs_high": (0.30, 1.85)},
     E("30% -> 35%; IRA 2022 policy 25%; P3 185%", "", f"§8.3; §4.4; {S301} ; {IEEPA}",
       "natural graphite: 2025 IEEPA only 30% [S]; 2026+: Sec. 301 25% from Jan 1 2026 [S] + 10% [E]; this row beats "
       "the AAM family row")),
    ("Korea", None,
     {"current_law": (0.15, 0.10), "ira_2022_policy": (0.0, 0.0),
      "china_tariffs_high": (0.15, 0.10)},
     E("15% -> 10%; IRA 0", "", "https://alstontrade.com/whirlwind-week-of-trade-deals-as-august-1-tariff-increases-"
       "loom ; §8.3", "2025: IEEPA deal rate 15% [S]; 2026+: 10% after the IEEPA ruling [E]; ira_2022_policy: 0 (KORUS)")),
    ("Japan", None,
     {"current_law": (0.15, 0.10), "ira_2022_policy": (0.0, 0.0),
      "china_tariffs_high": (0.15, 0.10)},
     E("15% -> 10%; IRA 0", "", "https://us.ibfd.org/knowledge-hub/tax-news/president-trump-signs-executive-order-"
       "formalizing-united-states-japan-trade ; §8.3", "2025: IEEPA deal rate 15% [S]; 2026+: 10% [E]; ira_2022_policy: 0")),
    ("Indonesia", None,
     {"current_law": (0.19, 0.10), "ira_2022_policy": (0.0, 0.0),
      "china_tariffs_high": (0.19, 0.10)},
     E("19% -> 10%; IRA 0", "", "https://www.tradeflockasia.com/trump-unveils-japan-trade-deal-with-15-tariff ; §8.3",
       "2025: 19% [S]; 2026+: 10% [E]; ira_2022_policy: 0")),
    ("Morocco", None,
     {"current_law": (0.10, 0.10), "ira_2022_policy": (0.0, 0.0),
      "china_tariffs_high": (0.10, 0.10)},
     E("10%; IRA 0", "", "§8.3; §8.4", "10% -> 10% per §8.3 [E]; ira_2022_policy: 0 (FTA)")),
    ("India", None,
     {"current_law": (0.50, 0.10), "ira_2022_policy": (0.0, 0.0),
      "china_tariffs_high": (0.50, 0.10)},
     E("50% -> 10%; IRA 0", "", "https://www.bdo.com/insights/tax/major-new-trade-deals-for-reciprocal-tariffs-and-"
       "more-tariff-related-announcements ; §8.3", "2025: 50% from Aug 27 2025 [S]; 2026+: 10% [E]; ira_2022_policy: 0")),
)


LIOH_LCE = 0.880  # t LCE per t LiOH.H2O (73.89 / (2 x 41.96))
LI_SPIKE_LCE = D(12_000, "$/t LCE added", f"§4.1; {UPD} §3",
                 "LCE ~$22/kg in Jan 2026 against $10/kg: +$12,000/t on lithium carbonate and x 0.880 = +$10,560/t on "
                 "lithium hydroxide (market prices and the Chile/Thacker Pass carbonate contracts): with 0.43 t LiOH per t "
                 "NMC/NCA that is +$4.5/kg, with 0.235 t Li2CO3 per t LFP/LMFP +$2.8/kg, the pass-through that "
                 "imported CAM gets (LI_SPIKE)")
SECTION_232 = E(0.25, "added to every origin's rate, CAM and AAM, from 2027", f"{UPD} §2; §4.4",
                "Section 232 investigation of processed critical minerals and derivatives (anodes, cathodes named), "
                "opened Apr 2025, outcome pending (update §2, https://www.strtrade.com/trade-news-resources/str-trade-"
                "report/trade-report/april/critical-minerals-downstream-products-face-possible-tariffs-in-new-section-"
                "232-probe); rate 25% as the steel/aluminium 232 tariffs' order [E], from 2027 (a year for the outcome)")
CELL_CREDIT = S(35.0, "$/kWh", "https://silanano.com/insights/inflation-reduction-act ; §5.1",
                "45X battery cells $35/kWh (IRA, unchanged by the OBBBA), for U.S. cells whose MACR meets the threshold")
CELL_PHASE = S({2030: 0.75, 2031: 0.5, 2032: 0.25, 2033: 0.0}, "multiplier by year of sale",
               "https://www.law.cornell.edu/uscode/text/26/45X ; §5.1",
               "component phase-down (cells too) 100% 2026-2029, 75% (2030), 50% (2031), 25% (2032), 0 (2033+)")
ESS_48E = S({2026: 0.55, 2027: 0.60, 2028: 0.65, 2029: 0.70, 2030: 0.75}, "minimum non-PFE share",
            "https://www.law.cornell.edu/uscode/text/26/7701 ; §5.1",
            "48E energy-storage MACR threshold by construction-start year, 75% from 2030 (secondary summaries)")
ESS_VALUE = E(10.0, "$/kWh of cells", "§5.1; §2.1",
              "value to a storage project, per kWh of its cells, of cells that let it meet the 48E test: added to the "
              "45X cell credit of storage cells. 48E pays ~30% of a project's cost, but other non-PFE components also "
              "count toward the project's ratio, so only part of it rests on the cells: $10/kWh [E]; one test per "
              "segment: storage cells are held to the 48E thresholds (the cell's own 45X test is 5-10 points "
              "stricter; between the two the 45X part is overstated)")
CELL_OTHER = {"EV": E(15.0, "$/kWh", f"§4.1; {UPD} §2",
                      "direct materials of an EV cell other than CAM and AAM (foil, electrolyte, separator, can): "
                      "Chinese NMC EV cell 0.41 CNY/Wh = $57/kWh (§4.1) minus its active materials (1.4 kg NMC811 x "
                      "$17.6 + 0.95 kg graphite x $3.6 = $28/kWh) leaves ~$29/kWh of which about half is material"),
              "ESS": E(12.0, "$/kWh", "§4.1", "the same for LFP storage cells (0.32 CNY/Wh = $44/kWh; LFP + graphite "
                                              "$12.3/kWh)")}
CELL_OTHER_PFE = E(0.3, "share", "§4.5; §3", "share of those other cell materials from prohibited foreign entities: "
                   "electrolyte salts and separators largely Chinese-made, foil and cans partly domestic/Korean/Japanese")
EXPORT_CONTROLS = S("LFP, NCM precursors, LMR, artificial graphite anode", "", f"{UPD} §2",
                    "MOFCOM Decision 58 (9 Oct 2025) suspended until 10 Nov 2026 (Decision 70): https://www.projectblue."
                    "com/blue/news-analysis/1337/china-tightens-export-controls-on-battery-materials-and-core-equipment "
                    "; the case stops Chinese LFP (I02), LMFP (I15, LFP-family compaction grades) and synthetic "
                    "graphite (I03) from 2027 and halves Korean NMC811 (I05, >90% of Korean pCAM comes from China, "
                    "§4.5) [E]")
PRICE_WAR = E(0.8, "x price", "§8.4; §4.2", "Chinese price war: CAM and AAM from China -20% (§8.4 suggested "
              "sensitivity; Vianode CEO: Chinese graphite at 'unsustainably low prices', §4.2)")
LI_SPIKE = D({"Ni": 4600, "LFP": 2800}, "$/t added", f"§4.1; {UPD} §3",
             "LCE ~$22/kg in Jan 2026 (spot 157k, futures 174k CNY/t) against $10/kg: +$12/kg x 0.38 kg LCE/kg NMC/NCA "
             "= +$4.6/kg, x 0.235 kg LCE/kg LFP/LMFP = +$2.8/kg (§4.1 stoichiometry); on import prices and reference "
             "prices of CAM and on the all-in variable cost of the Canadian CAM plants, every year (a level, not a "
             "spike that passes); the U.S. CAM plants get it through their lithium inputs (LI_SPIKE_LCE)")

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km (haversine, earth radius 6,371 km)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _freight(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Inland freight in $/t between two points: road km (factor x great circle) x $/t per km."""
    return round(_km(a, b) * ROAD_FACTOR.value * FREIGHT.value, 0)  # $0.10/kg per 1,000 km = $0.1/t per km


def ev_share(year: int) -> float:
    """EV share of cell GWh in `year`, in the proportion of the §2.2 EV and ESS demand columns."""
    ev, ess, _tot, _dom = DEMAND_PATH[year]
    return ev / (ev + ess)


def node_shares(year: int) -> dict[str, float]:
    """§2.3 node shares: 2025 and 2030 given, interpolated in between, 2030 held to 2035, renormalised."""
    raw = {n: interpolate({y: NODE_SHARES[y][n] for y in NODE_SHARES}, year) for n, *_ in NODES}
    total = sum(raw.values())
    return {n: v / total for n, v in raw.items()}


def ira_demand_scale(year: int) -> float:
    """High (IRA-era) path / default path: 1 in 2025, interpolated to 2030 and 2035."""
    pts = {2025: 1.0}
    for y, fig in HIGH_PATH.items():
        pts[y] = fig.value / DEMAND_PATH[y][2]
    return interpolate(pts, year)


def _step(points: dict[int, Any], year: int, before: Any) -> Any:
    """The value given for the latest year not after `year` (a step schedule); `before` before the first."""
    given = [y for y in sorted(points) if y <= year]
    return points[given[-1]] if given else before


def ira_target(year: int) -> float:
    """ira_2022_policy localization target: q x EV share of GWh x 30D critical-mineral threshold."""
    return IRA_Q.value * ev_share(year) * _step(IRA_CM.value, year, IRA_CM.value[min(IRA_CM.value)])


# --------------------------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------------------------


def _settings(src: _Sources) -> list[dict[str, Any]]:
    src.use("settings first_year / last_year / base_year", HORIZON)
    dr = src.use("settings discount_rate", DISCOUNT_RATE)
    pu = src.use("settings penalty_unmet_demand", PENALTY_UNMET)
    pl = src.use("settings penalty_localization", PENALTY_LOCALIZATION)
    po = src.use("settings penalty_offtake", PENALTY_OFFTAKE)
    dev = src.use("settings developer_discount_rate", DEVELOPER_RATE)
    return [
        {"parameter": "title", "value": TITLE, "unit": "", "description": "Default instance bundled with the planner"},
        {"parameter": "first_year", "value": FIRST_YEAR, "unit": "year", "description": ""},
        {"parameter": "last_year", "value": LAST_YEAR, "unit": "year", "description": ""},
        {"parameter": "base_year", "value": BASE_YEAR, "unit": "year", "description": ""},
        {"parameter": "discount_rate", "value": dr, "unit": "1/yr", "description": "8% real (§8 [E])"},
        {"parameter": "currency", "value": "USD", "unit": "", "description": "USD nominal; CAD converted at 1.37/USD"},
        {"parameter": "developer_discount_rate", "value": dev, "unit": "1/yr",
         "description": "developers' cost of capital for the decision sheet's NPV/IRR (update §3 [E])"},
        {"parameter": "penalty_unmet_demand", "value": pu, "unit": "$/t",
         "description": "lost cell margin per tonne of active material (update §3, $20-40k/t [E])"},
        {"parameter": "penalty_localization", "value": pl, "unit": "$/t",
         "description": "30D half-credit lost per tonne of missing qualifying material (§5.3 [D/E])"},
        {"parameter": "penalty_offtake", "value": po, "unit": "$/t",
         "description": "cost of breaking an offtake beyond the take-or-pay transfer [E]"},
    ]


def _commodities(src: _Sources) -> list[dict[str, Any]]:
    out = []
    for c, f, n, d in COMMODITIES:
        ref = src.use(f"commodities {c} reference_price", REF_PRICE[c],
                      note="values the material in the cells' credit test (MACR), whoever supplies it")
        out.append({"commodity": c, "family": f, "name": n, "market_price": None, "market_pfe_share": None,
                    "reference_price": ref, "description": d})
    src.use("input tier scope", INPUT_SCOPE)
    for i in INPUTS:
        price = src.use(f"commodities {i.id} market_price", i.price,
                        note="the world (mostly Chinese) spot market delivered to a U.S. port; also the reference "
                             "price (MACR) and the 45X basis of the input")
        pfe = src.use(f"commodities {i.id} market_pfe_share", i.pfe)
        out.append({"commodity": i.id, "family": i.family, "name": i.name, "market_price": price,
                    "market_pfe_share": pfe, "reference_price": None, "description": i.description})
    return out


def _regions(src: _Sources) -> list[dict[str, Any]]:
    out = []
    for rid, name, (lat, lon), desc in NODES:
        src.use(f"regions {rid} centroid", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§2.3", COORD_NOTE))
        out.append({"region": rid, "name": name, "domestic": True, "fta": False, "feoc": False, "usmca": True,
                    "description": f"Demand node. {desc}"})
    for rid, name, (lat, lon), desc in US_SITES:
        src.use(f"regions {rid} centroid", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§3; §8.2", COORD_NOTE))
        out.append({"region": rid, "name": name, "domestic": True, "fta": False, "feoc": False, "usmca": True,
                    "description": f"U.S. plant site (no cell demand). {desc}"})
    src.use("regions QC, ON flags", CANADA_FLAGS)
    for rid, name, (lat, lon), desc in CA_SITES:
        src.use(f"regions {rid} centroid", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§3; §8.2", COORD_NOTE))
        out.append({"region": rid, "name": name, "domestic": False, "fta": True, "feoc": False, "usmca": True,
                    "description": f"Canadian plant site (FTA partner, USMCA member, no 45X). {desc}"})
    for rid, name, fta, feoc, desc in ORIGINS:
        out.append({"region": rid, "name": name, "domestic": False, "usmca": False,
                    "fta": src.use(f"regions {rid} fta", fta), "feoc": src.use(f"regions {rid} feoc", feoc),
                    "description": f"Supply origin. {desc}"})
    return out


def _coords() -> dict[str, tuple[float, float]]:
    return {rid: ll for rid, _n, ll, _d in (*NODES, *US_SITES, *CA_SITES)}


def _demand(src: _Sources) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(intensity, chemistry_mix, cell_demand) records."""
    for y, (ev, ess, tot, dom) in DEMAND_PATH.items():
        src.use(f"demand path {y}", E(f"EV {ev}, ESS {ess}, total {tot}, domestic cell output {dom}", "GWh/yr",
                                      PATH_SOURCE, "default national trajectory (§2.2 [E])"))
    for y, shares in NODE_SHARES.items():
        text = ", ".join(f"{n} {v:.0%}" for n, v in shares.items() if v)
        total = sum(shares.values())
        src.use(f"demand node shares {y}", E(text, "of domestic cell output", "§2.3",
                                            f"default node shares (§2.3 [E]); they sum to {total:.2f}"
                                            + ("" if abs(total - 1) < 1e-9 else ", renormalised to 1")))
    src.add("cell_demand construction", "GWh by node, year, segment", "D", "§2.2; §2.3; §8.1",
            "domestic cell output (§2.2) x node share (2025 and 2030 given, linear 2026-2029, 2030 held to 2035) x "
            "segment split (EV vs ESS in the proportion of the §2.2 EV and ESS demand columns); the node-level "
            "chemistry hints of §2.3 (NV/KS NCA-heavy, ESS mostly MI/AZ/TN) are not used")
    for y in YEARS:
        src.add(f"EV share of cell GWh {y}", f"{ev_share(y):.4f}", "D", "§2.2",
                f"EV {DEMAND_PATH[y][0]} / (EV {DEMAND_PATH[y][0]} + ESS {DEMAND_PATH[y][1]})")

    cell = []
    for y in YEARS:
        dom = DEMAND_PATH[y][3]
        shares = node_shares(y)
        for n, *_ in NODES:
            if shares[n] <= 0:
                continue
            for seg, part in (("EV", ev_share(y)), ("ESS", 1.0 - ev_share(y))):
                cell.append({"region": n, "year": y, "segment": seg, "gwh": round(dom * shares[n] * part, 4)})
    canada = src.use("cell_demand ON (Canadian cells)", CANADA_CELLS)
    for y in YEARS:
        gwh = interpolate(canada, y)
        if gwh > 0:
            cell.append({"region": "ON", "year": y, "segment": "EV", "gwh": round(gwh, 4)})

    mix = []
    for y, shares in EV_MIX.items():
        src.use(f"chemistry_mix EV {y}", E(", ".join(f"{c} {v:.0%}" for c, v in shares.items()), "of EV GWh", "§1.3",
                                           "default EV mix (§1.3 [E]): high-Ni NMC/NCMA -> NMC811, mid-Ni/LMR -> "
                                           "NMC622, NCA, LFP, LMFP"))
        mix += [{"segment": "EV", "year": y, "chemistry": c, "share": v} for c, v in shares.items()]
    src.use("chemistry_mix ESS", E("100% LFP_ESS 2025-2029; 95% LFP_ESS + 5% LMFP_ESS from 2030", "of ESS GWh", "§1.3",
                                   "stationary storage 100% LFP (LGES Holland; Argonne/pmbusch modelling assumption), "
                                   "95% LFP + 5% LMFP from 2030 (§1.3 [S/E])"))
    for y, shares in ESS_MIX.items():
        mix += [{"segment": "ESS", "year": y, "chemistry": c, "share": v} for c, v in shares.items()]

    intensity = []
    for chem, (cam, cam_t, anode_t, is_ev) in CHEMISTRIES.items():
        src.use(f"intensity {chem} CAM ({cam})", D(cam_t, "t/GWh", INTENSITY_SOURCE,
                                                   "cell level incl. ~5-8% process scrap (§1.2 [D/E])"))
        src.use(f"intensity {chem} anode (graphite + Si-C)", D(anode_t, "t/GWh", INTENSITY_SOURCE,
                                                              "350 mAh/g, N/P 1.1, 8% first-cycle loss (§1.2 [D/E])"))
        intensity.append({"chemistry": chem, "commodity": cam, "year": None, "t_per_gwh": cam_t})
        for y in sorted(SYNTHETIC_SHARE):
            syn = SYNTHETIC_SHARE[y]
            for com, t in (("SG", anode_t * syn), ("NG", anode_t * (1 - syn))):
                intensity.append({"chemistry": chem, "commodity": com, "year": y, "t_per_gwh": round(t, 4)})
    src.use("intensity Si-C blend share", E(", ".join(f"{y} {v:.0%}" for y, v in SIC_SHARE.items()),
                                            "of anode mass", "§1.2; §1.1",
                                            "not a must-serve share any more: the anode need is stated in graphite "
                                            "(t/GWh of §1.2) and Si-C may stand in for part of it in the substitution "
                                            "group 'anode' at 1 t Si-C per 5 t graphite (§1.1: SCC55 ~5x graphite "
                                            "capacity), up to 30% of the requirement (an 8% mass blend, the 2035 "
                                            "value, stores 0.08x5 / (0.92 + 0.08x5) = 30% of the charge)"))
    src.use("intensity synthetic share of graphite", E(", ".join(f"{y} {v:.0%}" for y, v in SYNTHETIC_SHARE.items()),
                                                       "synthetic : natural", "§1.3",
                                                       "stated graphite demand split synthetic:natural 80:20 (2025), "
                                                       "70:30 (2030), 65:35 (2035), interpolated; the substitution "
                                                       "group lets natural graphite replace synthetic up to 50%"))
    src.use("chemistry_mix domestic 2025", DOMESTIC_MIX_2025)
    # CAM rows are year-less; the anode rows per year (2025, 2030, 2035)
    return intensity, mix, cell


GRAPHITE_GROUP = E("SG 50-100%, NG 0-50%, SIC 0-30% (1 t = 5 t graphite)", "", "§1.1; §1.3; §1.2",
                   "substitution group 'anode' in every region: natural graphite may replace synthetic up to half of "
                   "the graphite (natural ~1/2 the cost, favoured by North-American projects, §1.3; 10-20% of Chinese "
                   "anode use, §1.1); Si-C blends in at a graphite-equivalent ratio 0.2 up to 30%")
NICKEL_GROUP = E("NCA 0-50%, NMC811 50-100% of the pair in NV and KS", "", "§2.3; §1.3",
                 "Panasonic's Nevada and Kansas 2170 cells are NCA/NCM (§2.3): the high-nickel pair NCA + NMC811 is "
                 "one requirement there, NCA between 0 and 50% of it (stated: 23-31%, §1.3 mix)")


def _substitution(src: _Sources) -> list[dict[str, Any]]:
    src.use("substitution anode (graphite, Si-C)", GRAPHITE_GROUP)
    src.use("substitution nickel_cam (NV, KS)", NICKEL_GROUP)
    out = [
        {"group": "anode", "commodity": "SG", "min_share": 0.5, "max_share": 1.0, "t_per_t": 1.0,
         "description": "synthetic graphite"},
        {"group": "anode", "commodity": "NG", "min_share": 0.0, "max_share": 0.5, "t_per_t": 1.0,
         "description": "natural graphite, up to half"},
        {"group": "anode", "commodity": "SIC", "min_share": 0.0, "max_share": 0.3, "t_per_t": 0.2,
         "description": "Si-C blend: 1 t stands in for 5 t of graphite"},
    ]
    for r in ("NV", "KS"):
        out += [{"group": f"nickel_cam_{r}", "commodity": "NCA", "min_share": 0.0, "max_share": 0.5, "t_per_t": 1.0,
                 "region": r, "description": "Panasonic NCA cells"},
                {"group": f"nickel_cam_{r}", "commodity": "NMC811", "min_share": 0.5, "max_share": 1.0, "t_per_t": 1.0,
                 "region": r, "description": "NMC811 / NCMA, interchangeable with NCA"}]
    return out


def _operations(pid: str, status: str, basis: float) -> dict[str, Any]:
    """The operating columns of a plant: mothball, cancellation and early retirement options."""
    if status == "candidate":
        return {}
    out: dict[str, Any] = {}
    if pid in MOTHBALL:
        out.update(fixed_om_avoidable=AVOIDABLE.value, restart_cost=round(RESTART.value * basis, 0))
    if pid in CANCELLABLE.value.split(", "):
        out.update(cancellable=True)
    if status == "existing":
        out.update(early_retirement=True, retirement_cost=RETIRE.value)
    return out


def _projects(src: _Sources, recipes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Project records; appends the recipes of the plants that buy inputs to `recipes`."""
    for key, fig in (("fixed_om_avoidable", AVOIDABLE), ("restart_cost", RESTART), ("cancellable", CANCELLABLE),
                     ("cancellation_cost", CANCEL_COST), ("retirement_cost", RETIRE)):
        src.use(f"projects {key} (existing and committed plants)", fig)
    cad = src.use("CAD per USD", CAD_PER_USD)
    lifetime = src.use("projects lifetime (all)", LIFETIME)
    fom = src.use("projects fixed_om_per_unit (all)", FOM_SHARE)
    ramp_default = src.use("projects ramp_up (all but A08)", RAMP_DEFAULT)
    src.use("projects site mapping", SITE_MAP)
    latest = src.use("projects latest_start (candidates)", LATEST_START)
    src.add("projects status mapping", "E->existing; C, C-cond.->committed; C-paused, O, O (paused)->candidate",
            "D", "§8.2", "status codes of §8.2")
    src.add("projects construction_years rounding", "2.5 -> 3", "D", "§8.2",
            "build years are whole years: 2.5 is rounded up to 3 (C09-C12, A06, A07); earliest_start = earliest "
            "online - construction years (2.5 and 3 give the same start year)")
    src.add("projects eligibility", "eligible_45x TRUE for U.S. sites, FALSE for QC/ON; eligible_48c TRUE for U.S. "
            "candidates", "D", "§5.1; §5.2; §8",
            "45X needs U.S. production; no case funds new 48C (rate and budget 0) but a planner may")
    src.add("projects feoc_owned", "FALSE for all", "D", "§3.1; §8.5",
            "no FEOC-owned plant is modelled: Gotion Big Rapids MI (FEOC-owned) was abandoned (Oct 2025)")
    for key, fig in PFE_SHARE.items():
        src.use(f"projects pfe_cost_share {key}", fig, note=PFE_NOTE)
    for key, fig in OTHER_MATERIALS.items():
        src.use(f"projects other_materials_cost {key} (U.S. plants that buy inputs)", fig)
    prices = {i.id: i.price.value for i in INPUTS}
    for chem, rec in RECIPES.items():
        for c, phi in rec:
            src.use(f"recipes {chem} {c}", phi)
    for pid, why in INTEGRATED.items():
        src.add(f"projects {pid} inputs", "none (integrated feed)", "D", "§3.2",
                why + ": the feed stays in the all-in variable cost")
    out = []
    for p in PLANTS:
        item = f"projects {p.id}"
        status = STATUS[p.code]
        cap = src.use(f"{item} capacity", p.cap, used=f"{p.cap.value * 1000:,.0f} t/yr")
        capex_m = src.use(f"{item} capex", p.capex)
        var = src.use(f"{item} variable cost", p.var, used=f"{p.var.value * 1000:,.0f} $/t")
        online = src.use(f"{item} earliest online", p.online)
        build = 0 if p.build is None else math.ceil(src.use(f"{item} build years", p.build))
        qual = src.use(f"{item} qualification years", p.qual)
        start = online - build
        if status == "candidate" and start < FIRST_YEAR:  # never happens with the data; keep starts in horizon
            start = FIRST_YEAR
        capex = capex_m * 1e6
        notes = [f"§8.2 status {p.basis}", f"JV/offtake: {p.jv_text}", p.note]
        if p.provincial is not None:
            support = src.use(f"{item} provincial support", p.provincial,
                              used=f"{p.provincial.value / cad * 1e6:,.0f} $ capex reduction")
            capex -= support / cad * 1e6
            notes.append(f"capex net of C${support:,.0f} M support (${support / cad:,.0f} M)")
        fom_basis = capex_m * 1e6
        if p.fom_basis is not None:
            fom_basis = src.use(f"{item} fixed O&M basis", p.fom_basis) * 1e6
        if status == "existing" and capex:
            # an existing plant's investment is sunk: it is no decision and must not load the plan's cost;
            # its fixed O&M stays 3% of what it cost
            notes.append(f"capex ${capex / 1e6:,.0f} M is sunk (existing plant): not counted; fixed O&M on it")
            capex = 0.0
        grant = 0.0
        if p.grant is not None:
            grant = src.use(f"{item} grant", p.grant, used=f"{p.grant.value * 1e6:,.0f} $") * 1e6
        credit = 0.0
        if p.credit_48c is not None:
            credit = src.use(f"{item} credit_48c_awarded", p.credit_48c, used=f"{p.credit_48c.value * 1e6:,.0f} $") * 1e6
        ramp = ramp_default if p.ramp is None else src.use(f"{item} ramp_up", p.ramp)
        us = p.site not in {r for r, *_ in CA_SITES}
        conversion, other = var * 1000, 0.0
        if _buys_inputs(p):
            inputs = sum(phi.value * prices[c] for c, phi in RECIPES[p.commodity])
            conversion = var * 1000 - inputs
            other = OTHER_MATERIALS[p.pfe].value
            src.add(f"{item} variable_cost (conversion)", f"{conversion:,.0f} $/t", "D", VAR_SOURCE + "; §4.1",
                    f"all-in {var * 1000:,.0f} - inputs " + " - ".join(
                        f"{phi.value:g} t {c} x {prices[c]:,.0f}" for c, phi in RECIPES[p.commodity])
                    + f" ({inputs:,.0f}) = {conversion:,.0f} $/t; " + SPLIT_NOTE)
            recipes.extend({"project": p.id, "input": c, "t_per_t": phi.value} for c, phi in RECIPES[p.commodity])
        out.append({
            "project": p.id, "name": p.name, "site": p.site, "commodity": p.commodity, "status": status,
            "units_max": 1 if p.units_max is None else int(src.use(f"{item} units_max", p.units_max)),
            "capacity_per_unit": cap * 1000, "capex_per_unit": round(capex, 0),
            "fixed_om_per_unit": round(fom * fom_basis, 0), "variable_cost": round(conversion, 0),
            "other_materials_cost": other,
            **_operations(p.id, status, fom_basis),
            "earliest_start": start,
            "latest_start": (max(start, latest) if status == "candidate" else None), "construction_years": build,
            "qualification_years": qual, "ramp_up": ramp, "lifetime": lifetime,
            "eligible_45x": us, "eligible_48c": us and status == "candidate",
            "credit_48c_awarded": credit, "grant": grant, "feoc_owned": False,
            "pfe_cost_share": PFE_SHARE[p.pfe].value, "exclusive_group": None,
            "description": "; ".join(n for n in notes if n),
        })
        if out[-1].get("cancellable"):
            out[-1]["cancellation_cost"] = round(CANCEL_COST.value * capex_m * 1e6, 0)
    for pid, fig in IRA_GRANTS.items():
        src.use(f"projects {pid} original DOE award (ira_2022_policy only)", fig, used="grant 0 in the base data")
    src.add("projects A08 provincial support", "C$670 M loan", "S", VIA, "a loan, not a grant: no capex reduction")
    src.add("projects C03 start", "production early 2026", "S", f"{UPD} §1; {ULT}",
            "Ultium CAM Becancour: production expected early 2026 (delayed from H1-2025); online 2026 as modelled")
    src.add("projects A05 site", "GA (Bainbridge)", "E", f"{UPD} §1; {DOE_CANCEL}",
            "DOE's Oct 2025 grant reporting describes the cancelled $117 M Anovion award as for an Alabama plant; the "
            "site is kept at Bainbridge GA (§3.2) until checked: freight differs by ~$30/t")
    src.add("Ford - SK On (BlueOval SK)", "dissolved Dec 2025", "S",
            f"{UPD} §1; https://jakotaindex.com/news-hub/sk-on-ford-dissolve-11-4-billion-u-s-battery-partnership ; "
            "https://particle.news/story/ford-and-sk-on-to-split-blueoval-sk-ending-us-battery-joint-venture",
            "the update rates its own note [E] (secondary reports); §2.1 gives two reports [S]. Modelled as: TN "
            "(BlueOval City -> SK On) and KY (Glendale -> Ford) stay demand nodes with their §2.3 shares; no JV "
            "variant names BlueOval SK; EcoPro Becancour (C04) is an EcoPro-SK On candidate without Ford")
    src.add("projects A04 DOE LPO loan", "$754.8 M conditional", "S", NVX2,
            "§8.2 suggests -150 bp financing: not expressible per project, not modelled")
    return out


def _joint_ventures(src: _Sources, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    eq = src.use("joint_ventures equity_share", JV_EQUITY)
    qv = src.use("joint_ventures qualification_years", JV_QUALIFICATION)
    by_id = {p["project"]: p for p in projects}
    out = []
    for pid, partner, region, note in JOINT_VENTURES:
        p = by_id[pid]
        assert p["status"] == "candidate", pid
        faster = p["qualification_years"] == 2
        out.append({
            "jv": f"{pid}-JV", "project": pid, "partner": partner, "partner_region": region, "equity_share": eq,
            "qualification_years": qv if faster else None, "feoc_owned": None,
            "description": note + ("; qualification 1 yr as a JV (§6)" if faster else "; qualification as the project"),
        })
    src.add("joint_ventures partner regions", "; ".join(f"{pid}->{r}" for pid, _p, r, _n in JOINT_VENTURES), "E",
            "§8.2", "offtake regions of the JV partners: Panasonic NV, Ford MI, GM/Panasonic MI, OEM options OH "
            "(C08), MI (C13), GA (A12)")
    return out


def _contracts(src: _Sources) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    src.use("contracts min_take / signing_fee", NO_TAKE_OR_PAY)
    out, terms = [], []
    for k in IMPORTS:
        item = f"contracts {k.id}"
        price = src.use(f"{item} price", k.price, used=f"{k.price.value * 1000:,.0f} $/t")
        mx = None
        if k.max_kt is not None:
            mx = src.use(f"{item} max volume", k.max_kt, used=f"{k.max_kt.value * 1000:,.0f} t/yr") * 1000
        feoc = src.use(f"{item} feoc", k.feoc)
        out.append({
            "contract": k.id, "origin": k.origin, "commodity": k.commodity, "price": round(price * 1000, 0),
            "escalation": 0.0, "min_take": 0.0, "max_volume": mx, "first_year": k.first_year, "last_year": None,
            "signing_fee": 0.0, "feoc": feoc,
            "description": f"§8.3: {k.note}; price delivered to a U.S. port, 2025, before tariff",
        })
    for y, fig in I08_RAMP.items():
        terms.append({"contract": "I08", "year": y, "price": None, "min_take": None,
                      "max_volume": src.use(f"contract_terms I08 {y} max volume", fig, used=f"{fig.value * 1000:,.0f} t")
                      * 1000})
    for kid, what, why in LEFT_OUT_IMPORTS:
        src.add(f"contracts {kid} (left out)", what, "D", "§8.3", why)
    for k in INPUT_CONTRACTS:
        item = f"contracts {k.id} ({k.commodity} input)"
        price = src.use(f"{item} price", k.price)
        mx = None if k.max_t is None else src.use(f"{item} max volume", k.max_t)
        first = None if k.first_year is None else src.use(f"{item} first year", k.first_year)
        if k.sites_note is not None:
            src.use(f"{item} sites", k.sites_note)
        out.append({
            "contract": k.id, "origin": k.origin, "commodity": k.commodity, "price": price, "escalation": 0.0,
            "min_take": 0.0, "max_volume": mx, "first_year": first, "last_year": None, "signing_fee": 0.0,
            "feoc": src.use(f"{item} feoc", k.feoc),
            "description": f"input tier: {k.note}; " + ("delivered to a U.S. port" if k.origin in
                                                        {o for o, *_ in ORIGINS} else "at the producer's region"),
        })
    for what, where, why in LEFT_OUT_INPUTS:
        src.add(f"contracts input tier: {what} (left out)", "-", "E", where, why)
    return out, terms


def _transport(src: _Sources) -> list[dict[str, Any]]:
    src.use("transport inland freight", FREIGHT)
    src.use("transport road factor", ROAD_FACTOR)
    src.use("transport port rule", PORT_RULE)
    for port, (lat, lon) in PORTS.items():
        src.use(f"transport port {port}", E(f"{lat:.2f}, {lon:.2f}", "lat, lon", "§4.3", "port coordinates"))
    xy = _coords()
    domestic = [r for r, *_ in (*NODES, *US_SITES)]
    nodes = [r for r, *_ in NODES]
    out = _active_links(xy, domestic, nodes)
    src.add("transport links", f"{len(out)} links", "D", "§8.1; §4.3",
            "cost = 1.2 x great-circle km x $0.10/t per km between the centroids; every pair of U.S. regions "
            "and QC/ON to every U.S. node both ways, QC and the U.S. plant sites to ON (Canadian cell demand); every "
            "origin to every U.S. node and ON one way (ON through the nearer U.S. port, an approximation); one row "
            "per active material (CAM, AAM), so that the inputs move only on their own links")
    inputs = _input_links(xy)
    src.add("transport input links", f"{len(inputs)} links", "D", "§8.1; §4.3",
            "each input contract's origin to the sites of the U.S. plants that use the input: from Korea and Chile "
            "the inland freight from the nearer port (the price is delivered to a U.S. port), from KY (Ascend) and "
            "NV (Thacker Pass) the inland freight; spot purchases are delivered at the plant (inland freight from "
            "the port left out, ~$0.1-0.3/kg)")
    return out + inputs


def _buys_inputs(p: Plant) -> bool:
    """A U.S. plant whose chemistry has a recipe and that is not fed by its own mine."""
    return p.site not in {r for r, *_ in CA_SITES} and p.commodity in RECIPES and p.id not in INTEGRATED


def _input_sites() -> dict[str, list[str]]:
    """input -> the sites of the U.S. plants that use it (sorted)."""
    out: dict[str, set[str]] = {}
    for p in PLANTS:
        if not _buys_inputs(p):
            continue
        for c, _phi in RECIPES[p.commodity]:
            out.setdefault(c, set()).add(p.site)
    return {c: sorted(v) for c, v in out.items()}


def _input_links(xy: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    sites = _input_sites()
    origins = {o for o, *_ in ORIGINS}
    out = []
    for k in INPUT_CONTRACTS:
        for b in sites.get(k.commodity, []):
            if k.origin == b or (k.sites and b not in k.sites):
                continue
            if k.origin in origins:
                ports = ["Savannah"] if k.origin in ATLANTIC_ORIGINS else list(PORTS)
                cost = min(_freight(PORTS[p], xy[b]) for p in ports)
            else:
                cost = _freight(xy[k.origin], xy[b])
            out.append({"from_region": k.origin, "to_region": b, "commodity": k.commodity, "cost_per_t": cost,
                        "both_ways": False})
    return out


def _active_links(xy: dict[str, tuple[float, float]], domestic: list[str], nodes: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    actives = [c for c, *_ in COMMODITIES]

    def link(a: str, b: str, cost: float, both: bool) -> None:
        out.extend({"from_region": a, "to_region": b, "commodity": c, "cost_per_t": cost, "both_ways": both}
                   for c in actives)

    for i, a in enumerate(domestic):
        for b in domestic[i + 1:]:
            link(a, b, _freight(xy[a], xy[b]), True)
    for ca, *_ in CA_SITES:
        for b in nodes:
            link(ca, b, _freight(xy[ca], xy[b]), True)
    # ON is also a demand node (Canadian cells): reached from QC and from the U.S. plant sites
    link("QC", "ON", _freight(xy["QC"], xy["ON"]), True)
    for a, *_ in US_SITES:
        link(a, "ON", _freight(xy[a], xy["ON"]), True)
    for origin, *_ in ORIGINS:
        if origin in INPUT_ONLY_ORIGINS:
            continue
        for b in (*nodes, "ON"):
            ports = ["Savannah"] if origin in ATLANTIC_ORIGINS else list(PORTS)
            link(origin, b, min(_freight(PORTS[p], xy[b]) for p in ports), False)
    return out


def _policy(src: _Sources) -> list[dict[str, Any]]:
    """One column per case; every case but current_law extends current_law and fills only what it changes."""
    rows: list[dict[str, Any]] = []

    def row(param: str, values: dict[str, Any], *, year: int | None = None, region: str | None = None,
            commodity: str | None = None, segment: str | None = None, unit: str = "", description: str = "") -> None:
        rec = {"parameter": param, "year": year, "region": region, "commodity": commodity, "segment": segment,
               "unit": unit, "description": description}
        for c in CASES:
            rec[c] = values.get(c)
        rows.append(rec)

    row("extends", {c: "current_law" for c in CASES if c != "current_law"},
        description="every case starts from current_law and changes only what its own cells say")
    # 45X for active materials
    rate = src.use("policy x45_rate", X45_RATE)
    row("x45_rate", {"current_law": rate, "no_credits": 0.0}, unit="0-1",
        description="45X EAM credit: 10% of production cost; 0 in no_credits")
    phase = src.use("policy x45_phase", X45_PHASE)
    for y in YEARS:
        row("x45_phase", {"current_law": _step(phase, y, 1.0)}, year=y, unit="0-1",
            description="45X component phase-down by year of sale")
    nonfeoc = src.use("policy x45_requires_non_feoc", X45_NON_FEOC)
    row("x45_requires_non_feoc", {"current_law": nonfeoc, "ira_2022_policy": False},
        description="OBBBA: FEOC-owned plants earn no 45X; not in the IRA 2022")
    macr = src.use("policy x45_macr_min", X45_MACR)
    for y in YEARS:
        row("x45_macr_min", {"current_law": _step(macr, y, 0.0), "ira_2022_policy": 0.0}, year=y, unit="0-1",
            description="45X MACR threshold (non-PFE share of direct material cost) by year of sale; none in IRA 2022")
    # the cell credit (45X cells) and the 48E test of storage cells
    credit = src.use("policy cell_credit EV (45X cells)", CELL_CREDIT)
    cphase = src.use("policy cell_credit_phase", CELL_PHASE)
    v48e = src.use("policy cell_credit ESS: 48E value", ESS_VALUE)
    row("cell_credit", {"current_law": credit, "no_credits": 0.0}, segment="EV", unit="$/kWh",
        description="45X cell credit for U.S. EV cells that meet their MACR")
    for y in YEARS:
        ph = _step(cphase, y, 1.0)
        row("cell_credit_phase", {"current_law": ph}, year=y, segment="EV", unit="0-1",
            description="45X cell phase-down by year of sale")
        row("cell_credit", {"current_law": round(credit * ph + v48e, 4), "no_credits": 0.0}, year=y, segment="ESS",
            unit="$/kWh", description="storage cells: 45X cell credit x phase-down + the value of meeting 48E")
    src.add("policy cell_credit ESS by year", ", ".join(f"{y} {credit * _step(cphase, y, 1.0) + v48e:g}" for y in YEARS),
            "D", "§5.1", "35 x 45X phase-down + 10 (48E value); phase-down in the credit itself (ESS phase 1)")
    ess = src.use("policy cell_macr_min ESS (48E)", ESS_48E)
    for y in YEARS:
        row("cell_macr_min", {"current_law": _step(macr, y, 0.0), "ira_2022_policy": 0.0}, year=y, segment="EV",
            unit="0-1", description="45X cell MACR threshold (cells are qualifying battery components)")
        row("cell_macr_min", {"current_law": _step(ess, y, 0.0), "ira_2022_policy": 0.0}, year=y, segment="ESS",
            unit="0-1", description="48E storage MACR threshold")
    for seg, fig in CELL_OTHER.items():
        row("cell_other_materials_cost", {"current_law": src.use(f"policy cell_other_materials_cost {seg}", fig)},
            segment=seg, unit="$/kWh", description="cell materials other than CAM and AAM")
    row("cell_other_materials_pfe_share", {"current_law": src.use("policy cell_other_materials_pfe_share",
                                                                  CELL_OTHER_PFE)},
        unit="0-1", description="PFE share of the other cell materials")
    # 48C and grants
    none48 = src.use("policy x48c_rate / x48c_budget", X48C_NONE)
    row("x48c_rate", {"current_law": none48}, unit="0-1", description="no new 48C in any case (fully allocated)")
    row("x48c_budget", {"current_law": none48}, unit="$", description="no new 48C in any case (fully allocated)")
    src.add("policy x48c_awarded_paid", "FALSE in no_credits, TRUE elsewhere", "D", "§8.4",
            "the 48C credits already allocated (A03 $103 M, A06 $115 M) count in every case but no_credits")
    row("x48c_awarded_paid", {"current_law": True, "no_credits": False},
        description="48C credits already allocated (A03, A06 phase 1) are counted")
    pool0 = src.use("policy grant_pool no_credits", GRANTS_NONE)
    row("grant_pool", {"no_credits": pool0}, unit="$", description="blank: every listed grant is paid; 0: none")
    # tariffs
    s232 = src.use("policy tariff section_232_tariff", SECTION_232)
    for origin, com, by_case, fig in TARIFFS:
        src.use(f"policy tariff {origin} {com or 'all'}", fig)
        law, ira, high = by_case["current_law"], by_case["ira_2022_policy"], by_case["china_tariffs_high"]
        desc = f"{origin} {com or 'all materials'}"
        row("tariff", {"current_law": law[0], "ira_2022_policy": ira[0]}, year=2025, region=origin, commodity=com,
            unit="share of price", description=desc + ", 2025")
        row("tariff", {"section_232_tariff": law[1]}, year=2026, region=origin, commodity=com, unit="share of price",
            description=desc + ", 2026 (section_232_tariff: before the tariff)")
        row("tariff", {"current_law": law[1], "ira_2022_policy": ira[1], "section_232_tariff": round(law[1] + s232, 4),
                       "china_tariffs_high": high[1] if high[1] != law[1] else None}, region=origin, commodity=com,
            unit="share of price", description=desc + ", 2026 and later (section_232_tariff: 2027 and later)")
    src.add("policy tariff Korea precursor", "10% (2026+); IRA 2022 policy 0; no Section 232", "E", "§8.3; §4.4; "
            f"{UPD} §2", "Korean pCAM (I20) pays Korea's rate, but the section_232_tariff case names cathode and anode "
            "materials only, as its text says: the input tier stays outside it (so do the untariffed spot inputs)")
    row("tariff", {"current_law": 0.10, "ira_2022_policy": 0.0}, region="Korea", commodity="precursor",
        unit="share of price", description="Korea precursors (pCAM), 2026 and later: Korea's rate without Section 232")
    src.add("policy tariff Japan raw", "10% (2026+); IRA 2022 policy 0; no Section 232", "E", "§8.3; §4.4; "
            f"{UPD} §2", "Japanese needle coke (I26) pays Japan's rate; the section_232_tariff case names cathode and "
            "anode materials, not their feedstocks (as for Korean pCAM)")
    row("tariff", {"current_law": 0.10, "ira_2022_policy": 0.0}, region="Japan", commodity="raw",
        unit="share of price", description="Japan raw materials (needle coke), 2026 and later: Japan's rate without "
                                            "Section 232")
    # localization targets and FEOC bans
    strict = src.use("policy localization_target feoc_import_ban_2028", STRICT_TARGET)
    src.use("policy ira_2022_policy 30D share q", IRA_Q)
    cm = src.use("policy ira_2022_policy 30D critical-mineral threshold", IRA_CM)
    for fam in ("CAM", "AAM"):
        for y in YEARS:
            row("localization_target", {"ira_2022_policy": round(ira_target(y), 4),
                                        "feoc_import_ban_2028": _step(strict, y, None)}, year=y,
                commodity=fam, unit="0-1",
                description=f"{fam} share from qualifying supply: ira_2022_policy = 0.6 x EV share x 30D CM threshold; "
                            "feoc_import_ban_2028 per §8.4 P4")
    for y in YEARS:
        src.add(f"policy localization_target ira_2022_policy {y}", f"{ira_target(y):.4f}", "D", "§8.4; §5.3",
                f"0.6 x EV share {ev_share(y):.4f} x CM {_step(cm, y, cm[min(cm)]):.0%}; " + IRA_TARGET_NOTE)
    row("localization_fta_counts", {"current_law": True},
        description="FTA supply (Canada, Korea, Japan, Morocco) counts as qualifying")
    row("localization_excludes_feoc", {"current_law": True},
        description="FEOC supply never qualifies (ira_2022_policy: also for graphite before 2027, simplification)")
    for y in YEARS:
        if y >= 2028:
            row("feoc_imports_allowed", {"feoc_import_ban_2028": False}, year=y,
                description="feoc_import_ban_2028: no imports from FEOC suppliers from 2028")
    # demand
    for y in YEARS:
        row("demand_scale", {"high_demand": round(ira_demand_scale(y), 4)}, year=y, unit="x",
            description="high_demand: IRA-era (High) path / default path (1 in 2025, 2030 and 2035 given)")
    for y, fig in HIGH_PATH.items():
        src.use(f"policy demand_scale high_demand High path {y}", fig,
                used=f"x {fig.value / DEMAND_PATH[y][2]:.4f} (/ default total {DEMAND_PATH[y][2]} GWh)")
    src.add("policy demand_scale high_demand", ", ".join(f"{y} {ira_demand_scale(y):.3f}" for y in YEARS), "E",
            "§2.2; §8.4", "High path / default path, 1.0 in 2025, linear between 2025, 2030 and 2035; scales every "
            "node, segment and year alike")
    for c, text in CASE_TEXT.items():
        src.add(f"policy case {c}", c, "D", f"§8.4; {UPD} §2", text)
    return rows


def overrides(src: _Sources | None = None) -> list[dict[str, Any]]:
    """Case-specific changes to other sheets (the policy sheet cannot say them)."""
    src = src if src is not None else _Sources()
    out = [
        {"case": "ira_2022_policy", "sheet": "projects", "filter": f"project={pid}", "column": "grant",
         "operation": "set", "value": fig.value * 1e6, "note": f"IRA 2022: all original DOE awards are paid ({fig.note})"}
        for pid, fig in IRA_GRANTS.items()
    ]
    src.use("overrides china_export_controls", EXPORT_CONTROLS)
    for k in ("I02", "I15", "I03"):
        out.append({"case": "china_export_controls", "sheet": "contracts", "filter": f"contract={k}",
                    "column": "last_year", "operation": "set", "value": 2026,
                    "note": "MOFCOM Decision 58 applies from 10 Nov 2026: no Chinese LFP, LMFP or synthetic graphite "
                            "anode from 2027"})
    out.append({"case": "china_export_controls", "sheet": "contracts", "filter": "contract=I05",
                "column": "max_volume", "operation": "scale", "value": 0.5,
                "note": "Korean NMC811 halved: its NCM precursors are >90% Chinese and under the controls [E]"})
    war = src.use("overrides china_price_war", PRICE_WAR)
    out.append({"case": "china_price_war", "sheet": "contracts", "filter": "origin=China", "column": "price",
                "operation": "scale", "value": war, "note": "Chinese CAM and AAM prices -20%"})
    scarce = src.use("overrides china_export_controls (input tier)", INPUT_EXPORT_CONTROLS)
    out.append({"case": "china_export_controls", "sheet": "commodities", "filter": "commodity=pCAM",
                "column": "market_price", "operation": "scale", "value": scarce,
                "note": "NCM precursors under the controls: spot pCAM at a 25% scarcity premium [E]"})
    out.append({"case": "china_export_controls", "sheet": "contracts", "filter": "contract=I20",
                "column": "max_volume", "operation": "scale", "value": 0.5,
                "note": "Korean pCAM halved: it is refined from Chinese intermediates under the controls [E]"})
    li = src.use("overrides lithium_spike", LI_SPIKE)
    lithium = {chem for chem, rec in RECIPES.items() if any(c in ("LiOH", "Li2CO3") for c, _ in rec)}
    integrated = sorted(p.id for p in PLANTS if p.site in {r for r, *_ in CA_SITES} and p.commodity in lithium)
    for coms, add in (("NMC811, NMC622, NCA", li["Ni"]), ("LFP, LMFP", li["LFP"])):
        for sheet, col in (("contracts", "price"), ("commodities", "reference_price")):
            out.append({"case": "lithium_spike", "sheet": sheet, "filter": f"commodity in {coms}", "column": col,
                        "operation": "add", "value": add,
                        "note": f"lithium at the Jan 2026 level passed through: +${add / 1000:g}/kg on {coms}"})
    if integrated:
        out.append({"case": "lithium_spike", "sheet": "projects", "filter": f"project in {', '.join(integrated)}",
                    "column": "variable_cost", "operation": "add", "value": li["Ni"],
                    "note": "plants without modelled inputs (Canadian Ni-CAM): lithium passed through their all-in "
                            f"variable cost, +${li['Ni'] / 1000:g}/kg"})
    lce = src.use("overrides lithium_spike input tier", LI_SPIKE_LCE)
    for c, add in (("Li2CO3", lce), ("LiOH", round(lce * LIOH_LCE, 0))):
        has_contract = any(k.commodity == c for k in INPUT_CONTRACTS)
        for sheet, col, filt in (("commodities", "market_price", f"commodity={c}"),
                                 ("contracts", "price", f"commodity={c}"))[:2 if has_contract else 1]:
            out.append({"case": "lithium_spike", "sheet": sheet, "filter": filt, "column": col, "operation": "add",
                        "value": add, "note": f"lithium at the Jan 2026 level: +${add:,.0f}/t {c} (the U.S. CAM "
                                              "plants' lithium cost moves with it)"})
    return out


def tables() -> Tables:
    """The default instance as records per sheet (the shape of tests/factories.py::tiny_tables)."""
    src = _Sources()
    settings = _settings(src)
    commodities = _commodities(src)
    regions = _regions(src)
    intensity, mix, cell = _demand(src)
    recipes: list[dict[str, Any]] = []
    projects = _projects(src, recipes)
    jvs = _joint_ventures(src, projects)
    contracts, terms = _contracts(src)
    transport = _transport(src)
    substitution = _substitution(src)
    offtakes = _offtakes(src)
    policy = _policy(src)
    out: Tables = {
        "settings": settings,
        "commodities": commodities,
        "regions": regions,
        "intensity": intensity,
        "chemistry_mix": mix,
        "cell_demand": cell,
        "substitution": substitution,
        "projects": projects,
        "recipes": recipes,
        "joint_ventures": jvs,
        "offtakes": offtakes,
        "contracts": contracts,
        "contract_terms": terms,
        "transport": transport,
        "policy": policy,
    }
    out["overrides"] = overrides(src)
    out["sources"] = src.rows
    return out


def material_totals(tab: Tables | None = None) -> dict[int, dict[str, float]]:
    """Demand in t per year and commodity (before any case's demand_scale), from the validated tables."""
    from planner.cases import validate
    from planner.io.reader import workbook_from_tables

    inst = validate(workbook_from_tables(tab if tab is not None else tables()))
    out: dict[int, dict[str, float]] = {y: {} for y in YEARS}
    for (c, _r, y), t in inst.base_demand.items():
        out[y][c] = out[y].get(c, 0.0) + t
    return out


def default_path() -> Path:
    from planner.resources import checkout_dir

    return checkout_dir("instances") / FILE_NAME


def main() -> None:
    from planner.export.instance_xlsx import write_instance

    tab = tables()
    path = write_instance(tab, default_path())
    fam = {c: f for c, f, *_ in COMMODITIES}
    print(f"wrote {path}")
    for y, coms in material_totals(tab).items():
        cam = sum(t for c, t in coms.items() if fam[c] == "CAM") / 1000
        aam = sum(t for c, t in coms.items() if fam[c] == "AAM") / 1000
        print(f"{y}: CAM {cam:6.1f} kt, AAM {aam:6.1f} kt")


if __name__ == "__main__":
    main()
