"""The state of the economy as structs of arrays.

Firms are one struct of arrays (one entry per firm or plant); sectors,
provinces and the centre are small arrays. No Python object per firm.

Names across the engine carry a suffix for the axis of an array when the same quantity
exists at several levels: ``_i`` one entry per firm (row of :class:`Firms`), ``_s`` per
sector, ``_p`` per province, ``_j`` per trade partner, ``_js`` partner x sector and
``_ps`` province x sector. Fields of the state and of the year's records name their axis
in a comment instead, e.g. ``# (S,)``; S, P, J are the numbers of sectors, provinces and
partners.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from overcap.scenario import Scenario, ScenarioError

# float arrays; typed loosely because numpy's stubs give bincount and friends integer or
# generic dtypes that mypy cannot narrow
F8 = NDArray[Any]
I4 = NDArray[np.int32]
B1 = NDArray[np.bool_]


# peak bytes of memory per firm agent within a year: the struct of arrays (160 bytes a
# row) and the per-firm temporaries of the phases; measured with `overcap bench`
# (docs/RELIABILITY.md, "Memory")
BYTES_PER_FIRM = 400


def sum_by(index: np.ndarray, weights: np.ndarray, n: int) -> F8:
    """Sums of ``weights`` by ``index`` in 0..n-1, always float64: ``np.bincount`` with
    weights returns int64 when the selection is empty, and a float added to that raises
    (issue 16). Every weighted sum by sector, province or cost bin in the engine uses it."""
    return np.bincount(index, weights=weights, minlength=n).astype(np.float64, copy=False)


def within_budget(f: Firms, sc: Scenario, year: int) -> None:
    """Stop a run whose firm arrays would need more memory than the scenario allows
    (``population.memory_budget_mb``), with a one-line error, not an out-of-memory kill."""
    need = len(f) * BYTES_PER_FIRM / 2**20
    budget = sc.population.memory_budget_mb
    if need > budget:
        raise ScenarioError(
            f"the firm population reached {len(f):,} agents in {year}, about {need:,.0f} MB "
            f"over population.memory_budget_mb = {budget:,.0f}; raise "
            "population.memory_budget_mb, or lower population.firms_start or "
            "population.max_firms_ratio"
        )


@dataclass
class Firms:
    """All firms, struct of arrays. Dead firms are dropped by :meth:`compact`."""

    sector: NDArray[np.intp]  # index into the scenario's sectors (intp: no casts in bincount)
    province: NDArray[np.intp]
    soe: B1
    protected: B1
    capacity: F8  # units/yr in place
    building: F8  # units/yr under construction
    complete_year: I4  # year the project under construction comes on line (-1: none)
    building_cost: F8  # book value of construction in progress, US$ m
    cost_eff: F8  # unit variable-cost multiplier (1 = sector average), vintage_cost included
    vintage: F8  # ln of the learning factor the capacity in place was built at (capacity-weighted)
    vintage_cost: F8  # cost multiplier of that vintage against today's frontier (>= 1)
    capital: F8  # book value of installed capital, US$ m
    debt: F8  # net debt, US$ m (negative = cash)
    debt_start: F8  # net debt before this year's investment (entrants: at entry), US$ m
    equity: F8  # US$ m
    inventory: F8  # units
    inventory_value: F8  # book value of the inventory, US$ m (IAS 2: lower of cost and NRV)
    age: I4  # years
    output: F8  # units this year
    sales: F8  # units this year
    revenue: F8  # US$ m
    profit: F8  # US$ m
    ebit: F8  # US$ m
    interest: F8  # US$ m
    rate: F8  # interest rate paid this year
    low_icr_years: NDArray[np.int16]  # consecutive years with EBIT < interest
    zombie_run: NDArray[np.int16]  # consecutive years meeting the zombie test
    bailed_out: B1
    alive: B1

    @classmethod
    def empty(cls, n: int = 0) -> Firms:
        kw: dict[str, np.ndarray] = {}
        for f in fields(cls):
            kw[f.name] = np.zeros(n, dtype=_DTYPES.get(f.name, np.float64))
        firms = cls(**kw)
        firms.complete_year[:] = -1
        firms.vintage_cost[:] = 1.0
        return firms

    def __len__(self) -> int:
        return int(self.capacity.shape[0])

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def retire_dead(self, rows: np.ndarray | None = None, threshold: float = 0.2) -> None:
        """Zero the stocks and flows of firms that died (``rows``; default: every dead
        row), so they weigh nothing in any sum, and drop dead rows from the arrays once
        they are more than ``threshold`` of all rows (amortised compaction: one boolean
        index per array, not every year; entrants reuse dead rows in between, see
        :meth:`add`). Rows dead before were zeroed then, so only new deaths are passed."""
        dead = np.flatnonzero(~self.alive) if rows is None else rows
        if len(dead):
            for name in _ZEROED_ON_EXIT:
                getattr(self, name)[dead] = 0
            self.complete_year[dead] = -1
        n_dead = len(self) - int(np.count_nonzero(self.alive))
        if n_dead > threshold * len(self):
            self.compact()

    def compact(self, spare: float = 0.05) -> None:
        """Drop dead firms (a year-level operation, one copy per array), leaving a share
        ``spare`` of empty rows at the end for the next entrants."""
        keep = np.flatnonzero(self.alive)
        if len(keep) == len(self):
            return
        n = len(keep)
        total = n + int(spare * n)
        for name, arr in self.arrays().items():
            new = np.zeros(total, dtype=arr.dtype)
            np.take(arr, keep, out=new[:n])
            if name == "complete_year":
                new[n:] = -1
            elif name == "vintage_cost":
                new[n:] = 1.0
            setattr(self, name, new)

    def append(self, other: Firms) -> None:
        if len(other) == 0:
            return
        for name, arr in self.arrays().items():
            setattr(self, name, np.concatenate([arr, getattr(other, name)]))

    def add(self, other: Firms) -> np.ndarray:
        """Put new firms into the rows of dead ones first (no reallocation), then append
        the rest. Returns the row of each new firm, in order."""
        n = len(other)
        if n == 0:
            return np.zeros(0, dtype=np.intp)
        dead = np.flatnonzero(~self.alive)[:n]
        k = len(dead)
        if k:
            for name, arr in self.arrays().items():
                arr[dead] = getattr(other, name)[:k]
        start = len(self)
        if n > k:
            # append the rest plus dead padding rows (5% of the population), so the next
            # years' entrants fill rows instead of reallocating every array again
            rest = Firms(**{name: arr[k:] for name, arr in other.arrays().items()})
            pad = Firms.empty(max(int(0.05 * len(self)), 0))
            rest.append(pad)
            self.append(rest)
        return np.concatenate([dead, np.arange(start, start + n - k, dtype=np.intp)])


_ZEROED_ON_EXIT = (
    "capacity",
    "building",
    "building_cost",
    "capital",
    "debt",
    "equity",
    "inventory",
    "inventory_value",
    "output",
    "sales",
    "revenue",
    "profit",
    "ebit",
    "interest",
    "zombie_run",
    "low_icr_years",
)

_DTYPES: dict[str, type] = {
    "sector": np.intp,
    "province": np.intp,
    "soe": np.bool_,
    "protected": np.bool_,
    "complete_year": np.int32,
    "age": np.int32,
    "low_icr_years": np.int16,
    "zombie_run": np.int16,
    "bailed_out": np.bool_,
    "alive": np.bool_,
}


@dataclass(frozen=True)
class SectorConst:
    """Per-sector technology constants from the scenario (arrays over sectors)."""

    ref_price: F8
    capex: F8
    vc_share: F8
    learning_exp: F8  # Wright exponent b = log2(1 - learning rate) (<= 0)
    plant_size: F8
    plant_life: F8
    build_lag: F8
    elasticity: F8  # long-run: held by the demand paths, not read by the engine
    short_run_elasticity: F8  # of domestic demand to the price against its reference
    soe_share: F8
    export_share: F8
    foreign_cost_ratio: F8
    freight: F8  # freight per unit to foreign buyers, share of the normal price
    om: F8  # fixed O&M per unit of capacity at learning factor 1, US$/unit/yr
    obsolescence: F8  # share of learning embodied in a line (0: every vintage learns)

    @classmethod
    def from_scenario(cls, sc: Scenario) -> SectorConst:
        ids = sc.sector_ids

        def col(name: str) -> F8:
            return np.array([getattr(sc.sectors[s], name) for s in ids], dtype=float)

        ref, capex, vcs, life = col("ref_price"), col("capex"), col("vc_share"), col("plant_life")
        lr = col("learning_rate")
        u_n = sc.market.normal_utilisation
        r = sc.credit.market_rate
        # Fixed O&M is the residual that makes the full cost at normal utilisation equal
        # the reference price (long-run zero-profit benchmark), never negative.
        om = np.maximum(0.0, u_n * ref * (1.0 - vcs) - capex * (r + 1.0 / life))
        return cls(
            ref_price=ref,
            capex=capex,
            vc_share=vcs,
            learning_exp=np.log2(1.0 - lr) if sc.switches.learning else np.zeros_like(lr),
            plant_size=col("plant_size"),
            plant_life=life,
            build_lag=col("build_lag"),
            elasticity=col("elasticity"),
            short_run_elasticity=col("short_run_elasticity"),
            soe_share=col("soe_share"),
            export_share=col("export_share"),
            foreign_cost_ratio=col("foreign_cost_ratio"),
            freight=col("freight"),
            om=om,
            obsolescence=col("obsolescence") if sc.switches.vintages else np.zeros_like(lr),
        )

    def normal_price_and_cost(self, learning: F8, input_cost: F8) -> tuple[F8, F8]:
        """p^n_s = p0_s (1 + vc_share_s (m_s - 1)) and c_s = vc_share_s p0_s m_s, with
        p0_s = ref_price_s Lambda_s the learning-adjusted reference price and m_s the
        variable-cost factor of world input prices (1 in 2023; inputs.input_cost_factor):
        world input prices move the variable cost and, through it, the full-cost price."""
        p0 = self.ref_price * learning
        return p0 * (1.0 + self.vc_share * (input_cost - 1.0)), self.vc_share * p0 * input_cost


@dataclass
class SectorState:
    price: F8
    learning: F8  # unit-cost factor (1 at the 2023 anchor)
    cum_output: F8  # world cumulative output
    learning_foreign: F8  # foreign producers' unit-cost factor (1 at the 2023 anchor)
    cum_china: F8  # China's cumulative output
    cum_foreign: F8  # the rest of the world's cumulative output
    liquidation: F8  # stock of exiting firms' inventory, units
    sales_prev: F8  # last year's total sales
    demand_prev: F8  # last year's demand at the normal price (the market's size)
    market_prev: F8  # last year's markets served: domestic base plus partners' markets
    consensus_growth: F8  # smoothed sales growth
    bad_loans_stock: F8  # bad loans outstanding: new bad loans less liquidation recoveries
    unit_cost_prev: F8  # last year's average unit cost (price floors, dumping)
    price_rel_prev: F8  # last year's price over its normal price
    util_prev: F8  # last year's utilisation
    sold_util_prev: F8  # last year's sales over capacity (the market's tightness investors read)
    glut_prev: np.ndarray  # (S,) bool: last year's price was the distress price (a glut)
    price_ref_rel: F8  # reference price of domestic demand over the normal price (an EMA)
    retired_prev: F8  # last year's capacity retired: at the end of its life and by exits
    campaign_plan: F8  # a running campaign's reported cut a year, set when it started (0 = none)


@dataclass
class ProvinceState:
    weight: F8  # share of rest-of-economy GDP
    gdp: F8  # US$ m
    growth: F8  # percent, last year
    rel_growth_sum: F8  # sum of relative growth over the term so far
    years_in_term: NDArray[np.int64]
    protection: F8  # propensity to protect private firms
    intensity: F8  # (P, S) subsidy intensity 0-1
    fiscal_scale: F8  # (P,) share of planned subsidies the budget allows
    spend_prev: F8  # (P,) subsidy spending last year
    debt: F8  # (P,) industrial-policy debt, US$ m


@dataclass
class Economy:
    rest: float  # rest-of-economy GDP, US$ m
    gdp: float
    growth: float  # percent
    modelled: float  # modelled sectors' value added plus investment, US$ m
    modelled_growth: float  # percent growth of modelled
    ppi_change: float
    utilisation: float = 0.85  # last year's aggregate utilisation
    zombie_share: float = 0.0  # last year's zombie share


@dataclass(frozen=True)
class Instruments:
    """The centre's instruments for one year (set by engine/centre.py). The defaults are
    neutral: no boost, no spread, approvals open, no campaign, no floor."""

    subsidy_multiplier: float = 1.0
    credit_spread: float = 0.0
    entry_approval: float = 1.0
    stimulus_demand: F8 = field(default_factory=lambda: np.zeros(0))  # (S,) demand share
    price_floor: F8 = field(default_factory=lambda: np.zeros(0))  # (S,) price, 0 = none
    floor_evasion: F8 = field(default_factory=lambda: np.zeros(0))  # (S,) share evaded
    campaign_intensity: F8 = field(default_factory=lambda: np.zeros(0))  # (S,)
    output_cap: F8 = field(default_factory=lambda: np.zeros(0))  # (S,) utilisation cap, 1 = none
    strategic: B1 = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (S,)
    plan_growth: F8 = field(default_factory=lambda: np.zeros(0))  # (S,) growth/yr, NaN: none


@dataclass
class State:
    year: int
    firms: Firms
    sectors: SectorState
    provinces: ProvinceState
    economy: Economy
    centre: Any = None  # engine.centre.CentreState
    trade: Any = None  # engine.trade.TradeState
    bank: Any = None  # engine.banks.BankState
