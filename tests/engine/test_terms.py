"""The terms of the year (engine/terms.py): the script resolved once per year."""

from __future__ import annotations

import numpy as np

import overcap
from overcap.engine.terms import script
from overcap.scenario import PARTNERS


def test_the_baseline_script_by_year() -> None:
    sc = overcap.load_scenario("baseline")
    ids = sc.sector_ids
    usa, eu = PARTNERS.index("USA"), PARTNERS.index("EU")
    ev, steel, cement = (ids.index(s) for s in ("electric_vehicles", "steel", "cement"))

    quiet = script(sc, 2005, ids)
    assert quiet.regime is None and quiet.stimulus_s == () and quiet.macro_shock == 0.0
    assert (quiet.duty_js == 0).all() and not quiet.controls_j.any()
    assert (quiet.campaign_s == 0).all() and (quiet.floor_s == 0).all()
    assert (quiet.demand_shock_s == 1).all()

    y2009 = script(sc, 2009, ids)
    assert y2009.regime == "loosen"
    (stim,) = y2009.stimulus_s  # only the construction sectors get infrastructure demand
    assert stim[steel] == 0.05 and stim[cement] == 0.05 and stim[ev] == 0.0

    y2017 = script(sc, 2017, ids)
    assert y2017.regime == "control"
    want = sc.centre.control.campaign_intensity
    assert y2017.campaign_s[steel] == want and y2017.campaign_s[cement] == 0.0

    y2025 = script(sc, 2025, ids)
    # tariffs on the same partner and sector add up: 2018 + 2024 EV duties + 2025
    assert np.isclose(y2025.duty_js[usa, ev], 0.16 + 0.75 + 0.2)
    assert np.isclose(y2025.duty_js[eu, ev], 0.21) and y2025.duty_js[eu, steel] == 0.0
    assert y2025.controls_j[usa] and y2025.controls_j.sum() == 1
    assert np.isclose(y2025.macro_shock, -1.0)
    assert y2025.floor_s[steel] > 0 and y2025.floor_s[ids.index("coal")] == 0.0


def test_scripted_tariffs_switch_clears_the_duties_only() -> None:
    sc = overcap.load_scenario("baseline", overrides={"switches.scripted_tariffs": False})
    s = script(sc, 2025, sc.sector_ids)
    assert (s.duty_js == 0).all() and s.controls_j.any()
