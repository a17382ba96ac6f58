"""Trade partners, trade defence and countermeasures."""

from __future__ import annotations

import numpy as np

import overcap


def test_duties_are_non_negative_and_consistent(baseline: overcap.Result) -> None:
    t = baseline.trade
    assert (t["duty"] >= 0).all()
    assert set(t["trade_measure_in_force"].unique()) <= {0, 1}
    assert len(t) == len(baseline.sectors) * 10
    assert set(t["partner"]) == {
        "USA",
        "EU",
        "MEX",
        "TUR",
        "BRA",
        "IND",
        "ZAF",
        "VNM",
        "THA",
        "ROW",
    }


def test_measures_expire_without_renewal() -> None:
    years = 5
    r = overcap.run(
        "baseline",
        seed=0,
        overrides={
            "trade.renewal_probability": 0.0,
            "trade.measure_years": years,
            "switches.scripted_tariffs": False,
        },
    )
    t = r.trade.sort_values(["partner", "sector", "year"])
    assert t["trade_measure_in_force"].sum() > 0
    assert t["new_measure"].sum() > 0
    for _, g in t.groupby(["partner", "sector"]):
        force = g["trade_measure_in_force"].to_numpy()
        opened = g["new_measure"].to_numpy()
        for k in np.flatnonzero(force[years:]) + years:  # measures of the spin-up are unseen
            # without renewal, a year in force lies within the term of a measure opened
            # no more than `years` years before
            window = opened[max(0, k - years + 1) : k + 1]
            assert window.any(), (g["partner"].iloc[0], g["sector"].iloc[0], k)
        # and a measure opened in year k is gone by year k + years unless re-opened
        for k in np.flatnonzero(opened):
            if k + years < len(force) and force[k + years]:
                assert opened[k + 1 : k + years + 1].any()


def test_without_trade_defence_no_measure_opens() -> None:
    r = overcap.run(
        "baseline",
        seed=0,
        overrides={"switches.trade_defence": False, "switches.scripted_tariffs": False},
    )
    assert r.trade["trade_measure_in_force"].sum() == 0
    assert r.trade["new_measure"].sum() == 0
    assert r.economy["trade_measures"].sum() == 0


def test_scripted_tariffs_are_in_force(baseline: overcap.Result) -> None:
    t = baseline.trade.set_index(["year", "partner", "sector"])
    assert t.loc[(2024, "EU", "electric_vehicles"), "duty"] >= 0.21
    assert t.loc[(2024, "USA", "electric_vehicles"), "duty"] >= 0.75 + 0.16
    assert t.loc[(2019, "USA", "steel"), "trade_measure_in_force"] == 1
    assert t.loc[(2000, "USA", "steel"), "duty"] >= 0.10  # pre-WTO trade cost


def test_countermeasures_switch(baseline: overcap.Result) -> None:
    assert baseline.economy.set_index("year").loc[2025, "countermeasures"] >= 1
    off = overcap.run("baseline", seed=0, overrides={"switches.countermeasures": False})
    assert off.economy["countermeasures"].sum() == 0


def test_export_controls_raise_partner_costs_in_magnet_sectors() -> None:
    """Controls raise the partner's own producers' cost in rare-earth-intensive sectors
    (and nowhere else), which raises China's Armington share there unless it is capped."""
    from overcap.engine import market, trade

    sc = overcap.load_scenario("baseline")
    sectors = sc.sector_ids
    pdata = trade.PartnerData.load(sectors)
    p_norm = np.ones(len(sectors))
    fcr = np.ones(len(sectors))
    none = np.zeros(len(pdata.ids), dtype=bool)
    usa = none.copy()
    usa[pdata.ids.index("USA")] = True
    base = trade.foreign_cost(p_norm, fcr, pdata, none, sc, sectors)
    hit = trade.foreign_cost(p_norm, fcr, pdata, usa, sc, sectors)
    ev, steel = sectors.index("electric_vehicles"), sectors.index("steel")
    j = pdata.ids.index("USA")
    assert hit[j, ev] > base[j, ev]
    assert hit[j, steel] == base[j, steel]
    assert (hit[np.arange(len(pdata.ids)) != j] == base[np.arange(len(pdata.ids)) != j]).all()
    one = np.ones(1)
    share = [
        market.export_demand(
            market.ExportTerms(
                market=one,
                foreign_cost=c[j, ev] * one,
                ref_ratio=one,
                duty=0.0 * one,
                share0=0.05 * one,
                sigma=3.0,
                cap=0.8,
                p_norm=one,
                freight=0.0 * one,
            ),
            one,
        )[0]
        for c in (base, hit)
    ]
    assert share[1] > share[0]


def test_countermeasures_follow_escalation_in_the_trade_war() -> None:
    r = overcap.run("trade-war", seed=0)
    assert r.economy.query("year >= 2025")["countermeasures"].max() >= 1


def test_exports_by_partner_add_up(baseline: overcap.Result) -> None:
    by_partner = baseline.trade.groupby(["year", "sector"])["exports"].sum()
    total = baseline.sectors.set_index(["year", "sector"])["exports"]
    assert np.allclose(by_partner.reindex(total.index), total, rtol=1e-9, atol=1e-9)


def test_presence_is_won_by_exporting_and_never_lost() -> None:
    """win_presence (ODD 7.11.5): a logistic in the exports, bounded by 1, never falling;
    no exports (or no market) leave it where it is."""
    from overcap.engine.trade import win_presence

    k = np.array([0.01, 0.01, 0.01, 0.5, 1.0, 0.3])
    exports = np.array([0.0, 1.0, 4.0, 1.0, 5.0, 2.0])
    potential = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 0.0])
    out = win_presence(k, exports, potential, 0.5)
    assert out[0] == k[0] and out[5] == k[5]  # nothing sold, or no market: unchanged
    assert out[1] > k[1] and out[2] > out[1]  # more exports win more presence
    assert np.all(out >= k) and np.all(out <= 1.0)
    assert out[4] == 1.0  # full presence stays full, bit for bit
    np.testing.assert_allclose(out[3], 0.5 + 0.5 * 0.1 * 0.5)
    # a glut's exports far above the full-presence level cannot carry it past 1
    assert win_presence(np.array([0.9]), np.array([100.0]), np.array([1.0]), 2.0)[0] == 1.0


def test_export_presence_starts_solar_small_and_grows() -> None:
    """With switches.export_presence, China's solar starts with about 1% of the rest of
    the world's market (sectors.solar_pv.presence_start) and wins it by exporting; off,
    it holds its Armington base share from the start (docs/ODD.md 7.11.5)."""
    ov = {"time.end_year": 2008, "population.firms_start": 3000}
    on = overcap.run("baseline", seed=0, overrides=ov)  # on by default from session 45
    off = overcap.run("baseline", seed=0, overrides={**ov, "switches.export_presence": False})

    def share(r: overcap.Result, year: int) -> float:
        s = r.sectors
        row = s[(s.sector == "solar_pv") & (s.year == year)].iloc[0]
        return float(row["exports"] / row["foreign_market"])

    assert share(on, 1995) < 0.1 < 0.4 < share(off, 1995)
    assert share(on, 1995) < share(on, 2000) < share(on, 2005)
