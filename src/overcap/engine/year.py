"""One year, in the order of MODEL.md.

1. the centre reads last year's indicators, moves the policy cycle and sets this
   year's instruments; the campaign it orders (step 8) retires capacity now, from last
   year's utilisation, before firms decide anything;
2. provinces set subsidy intensities (tournament, alignment, herding, fiscal limit);
3. demand: domestic from its exogenous path, adjusted by income and scripted shocks;
   foreign markets by partner, with this year's duties and partners' costs (step 9a);
4. investment and entry: projects complete, firms expand, entrants arrive (the wave);
5. production and market clearing (must-run supply, merit order, price floor,
   inventory);
6. accounts and learning;
7. exit, bailouts and zombies;
9. trade defence and countermeasures, on this year's surge and dumping margins;
10. macro and record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from overcap.engine import accounts, centre, exit, investment, market, provinces, trade
from overcap.engine.events import YearScenarios, active_events, sector_mask
from overcap.engine.indicators import Recorder, misallocation_loss, safe_div
from overcap.engine.inputs import Inputs
from overcap.engine.state import F8, Firms, SectorConst, State
from overcap.scenario import Scenario


@dataclass
class Context:
    sc: Scenario
    inputs: Inputs
    const: SectorConst
    recorder: Recorder
    record_from: int
    partners: trade.PartnerData
    trend: F8 = field(default_factory=lambda: np.zeros(0))  # (T,) rest-of-economy trend growth
    scenarios: YearScenarios | None = None

    def scenario(self, year: int) -> Scenario:
        """The scenario in force this year (events of kind ``set`` change parameters)."""
        if self.scenarios is None:
            self.scenarios = YearScenarios(self.sc)
        return self.scenarios(year)


def macro_shock(sc: Scenario, year: int) -> float:
    """Scripted shocks to rest-of-economy growth, percentage points (events of kind
    macro_shock; size is in hundredths, so -0.04 is four points)."""
    return 100.0 * sum(ev.size for ev in active_events(sc, year, "macro_shock"))


def demand_shock_factor(sc: Scenario, sectors: list[str], year: int) -> F8:
    """Multiplicative shocks to domestic demand scripted by the scenario (events of kind
    demand_shock)."""
    out = np.ones(len(sectors))
    for ev in active_events(sc, year, "demand_shock"):
        out *= np.where(sector_mask(ev.sectors, sectors), 1.0 + ev.size, 1.0)
    return out


def step(st: State, ctx: Context, rng: np.random.Generator) -> None:
    year = st.year
    sc, inp, k, pdata = ctx.scenario(year), ctx.inputs, ctx.const, ctx.partners
    sw = sc.switches
    ti = inp.year_index(year)
    f, sec, prov, eco = st.firms, st.sectors, st.provinces, st.economy
    S, P, J = len(inp.sectors), len(inp.provinces), len(pdata.ids)
    equity_start = np.bincount(f.sector, weights=f.equity, minlength=S)
    inv_start = np.bincount(f.sector, weights=f.inventory, minlength=S) + sec.liquidation

    # ---- 1. the centre: policy cycle and instruments
    signals = centre.Signals(
        utilisation=eco.utilisation,
        ppi_change=eco.ppi_change,
        zombie_share=eco.zombie_share,
        growth=eco.growth,
        target=float(inp.growth_target[max(ti - 1, 0)]),
    )
    centre.move(st.centre, signals, sc, year)
    ins = centre.instruments(
        st.centre, sc, year, inp.sectors, inp.strategic[ti].copy(), sec.unit_cost_prev, J
    )
    # ---- 8. the campaign the centre orders retires capacity before anyone decides
    camp = centre.campaign(f, ins.campaign_intensity, sec.util_prev, sc, S)
    # no new capacity is approved where the campaign cuts (beyond the campaign_approval share)
    approval = ins.entry_approval * np.where(camp.reported > 0, sc.centre.campaign_approval, 1.0)

    # learning-adjusted normal price and costs of this year
    p_norm, vc_s = k.normal_price_and_cost(sec.learning, inp.input_cost[ti])
    om_s = k.om * sec.learning
    capex_s = k.capex * sec.learning
    life, lag = k.plant_life, k.build_lag

    # ---- 2. provinces
    prospect = np.clip(sec.consensus_growth / sc.investment.growth_clip, 0.0, 1.0)
    incentive = provinces.set_subsidies(
        prov, ins.strategic, prospect, ins.subsidy_multiplier, sc.provinces, sw
    )

    # ---- 3. demand
    trend_prev = ctx.trend[max(ti - 1, 0)]
    income_gap = np.clip(
        eco.growth - trend_prev, -sc.macro.income_gap_bound, sc.macro.income_gap_bound
    )
    income_adj = np.exp(sc.macro.income_elasticity * income_gap / 100.0)
    dom_base = (
        inp.china_demand[ti]
        * income_adj
        * demand_shock_factor(sc, inp.sectors, year)
        * (1.0 + ins.stimulus_demand)
    )
    # 9a. partners' markets, duties and costs this year
    export_market = (inp.foreign_demand[ti] * (1.0 if sw.exports else 0.0))[None, :] * (
        pdata.market_share
    )
    scripted = trade.scripted_duty(sc, year, inp.sectors)
    duty = trade.total_duty(st.trade, scripted, sc, year)
    ins.duty = duty
    controls = trade.controls_active(st.trade, sc, year)
    foreign_cost = trade.foreign_cost(
        p_norm, k.foreign_cost_ratio, pdata, controls, sc, inp.sectors
    )

    # ---- 4. investment and entry
    debt_start = f.debt.copy()
    investment.complete_projects(f, year)
    z_i = prov.intensity[f.province, f.sector]
    f.rate[:] = investment.interest_rates(f.soe, z_i, f.bailed_out, sc, ins.credit_spread)
    soft = (f.soe | f.protected) & sw.soft_budget
    cap_s = np.bincount(f.sector, weights=f.capacity, minlength=S)
    pipe_s = np.bincount(f.sector, weights=f.building, minlength=S)
    g = sec.consensus_growth + sc.investment.strategic_optimism * ins.strategic
    demand_e = sec.demand_prev * np.exp(g * lag)
    visible = investment.visible_capacity(cap_s, pipe_s, sc.investment.visibility, life, lag)
    u_e = investment.expected_utilisation(demand_e, visible)
    gap = investment.perceived_gap(demand_e, visible, sc.market.normal_utilisation)
    gap_cap = np.where(visible > 0, gap * visible, demand_e / sc.market.normal_utilisation)
    p_e = investment.expected_price(
        p_norm,
        sec.price_rel_prev,
        u_e,
        sec.util_prev,
        sc.investment.price_sensitivity,
        sc.market.distress_price,
        sc.market.scarcity_price,
    )
    pv = sc.provinces
    cs_i = z_i * pv.max_capex_subsidy
    os_i = z_i * pv.max_operating_subsidy * p_norm[f.sector]
    vc_i = vc_s[f.sector] * f.cost_eff
    capex_net_i = capex_s[f.sector] * (1.0 - cs_i)
    inv_p = sc.investment
    q_i = investment.return_ratio(
        u_e[f.sector],
        p_e[f.sector],
        vc_i,
        os_i,
        om_s[f.sector],
        capex_net_i,
        f.rate,
        investment.risk_premium(soft, sc),
        life[f.sector],
        soft * inv_p.soft_budget_cover,
        inv_p.price_uncertainty,
    )
    push_i = investment.local_push(z_i, incentive[f.province], soft, sc.provinces.investment_push)
    spend_i, started_i = investment.expand(
        f,
        q_i,
        gap[f.sector],
        push_i,
        capex_net_i,
        capex_s[f.sector],
        soft,
        approval,
        year,
        lag,
        sc,
        rng,
    )
    capex_sub_i = cs_i * spend_i
    # sums over the (few) firms that started a project
    inv_rows = np.flatnonzero(started_i > 0)
    sec_inv, prov_inv = f.sector[inv_rows], f.province[inv_rows]
    spending = np.bincount(sec_inv, weights=spend_i[inv_rows], minlength=S)
    capex_sub = np.bincount(sec_inv, weights=capex_sub_i[inv_rows], minlength=S)
    started = np.bincount(sec_inv, weights=started_i[inv_rows], minlength=S)
    prov_capex_sub = np.bincount(prov_inv, weights=capex_sub_i[inv_rows], minlength=P)

    # entry: a prototypical entrant per province, sector and ownership
    z = prov.intensity
    c = sc.credit
    spread = ins.credit_spread
    base_rate = c.market_rate + spread
    if sw.soft_budget:
        r_priv = base_rate + c.private_premium - pv.credit_subsidy_spread * z
        r_soe = base_rate - c.soe_discount - pv.credit_subsidy_spread * z
        prem_soe = 0.0
    else:
        r_priv = base_rate + c.private_premium + 0.0 * z
        r_soe = r_priv
        prem_soe = sc.investment.private_risk_premium
    adv = 1.0 - sc.investment.entrant_cost_advantage
    vc_ent = vc_s * adv
    os_ent = z * pv.max_operating_subsidy * p_norm[None, :]
    capex_ent = capex_s[None, :] * (1.0 - z * pv.max_capex_subsidy)
    q_priv = investment.return_ratio(
        u_e[None, :],
        p_e[None, :],
        vc_ent[None, :],
        os_ent,
        om_s[None, :],
        capex_ent,
        np.maximum(r_priv, 0.005),
        sc.investment.private_risk_premium,
        life[None, :],
    )
    q_soe = investment.return_ratio(
        u_e[None, :],
        p_e[None, :],
        vc_ent[None, :] * (1 + sc.population.soe_cost_premium),
        os_ent,
        om_s[None, :],
        capex_ent,
        np.maximum(r_soe, 0.005),
        prem_soe,
        life[None, :],
        inv_p.soft_budget_cover if sw.soft_budget else 0.0,
        inv_p.price_uncertainty,
    )
    e_prov, e_sec, e_soe, e_size = investment.entry(
        demand_e, gap_cap, q_priv, q_soe, prov.weight, approval, k, sc, rng
    )
    n_new = len(e_prov)
    entries = np.bincount(e_sec, minlength=S).astype(float)
    equity_in: F8 = np.zeros(S)
    if n_new:
        new = new_firms(e_prov, e_sec, e_soe, e_size, year, z, capex_s, prov.protection, k, sc, rng)
        gross = e_size * capex_s[e_sec]
        sub = gross - new.building_cost
        spending += np.bincount(e_sec, weights=gross, minlength=S)
        started += np.bincount(e_sec, weights=e_size, minlength=S)
        capex_sub += np.bincount(e_sec, weights=sub, minlength=S)
        prov_capex_sub += np.bincount(e_prov, weights=sub, minlength=P)
        equity_in = np.bincount(e_sec, weights=new.equity, minlength=S)
        rows = f.add(new)
        grow = len(f) - len(debt_start)
        if grow > 0:  # entrants were appended (and padding rows): extend the firm arrays
            pad = np.zeros(grow)
            debt_start, z_i, os_i, vc_i = (
                np.concatenate([a, pad]) for a in (debt_start, z_i, os_i, vc_i)
            )
        # only the entrants' rows change: set their derived values
        debt_start[rows] = new.debt
        z_new = prov.intensity[f.province[rows], f.sector[rows]]
        z_i[rows] = z_new
        os_i[rows] = z_new * pv.max_operating_subsidy * p_norm[f.sector[rows]]
        vc_i[rows] = vc_s[f.sector[rows]] * f.cost_eff[rows]
        f.rate[rows] = investment.interest_rates(
            f.soe[rows], z_new, f.bailed_out[rows], sc, ins.credit_spread
        )

    # ---- 5. production and market clearing
    must_run = (f.soe | (f.protected & sw.local_protection)) & sw.soe_output_targets
    must = np.where(must_run, sc.market.must_run_utilisation * f.capacity, 0.0)
    inv_offer = sc.market.inventory_sell_rate * f.inventory
    fixed_offer = np.bincount(f.sector, weights=inv_offer, minlength=S) + sec.liquidation
    clr = market.clear(
        f.sector,
        vc_i - os_i,
        must,
        f.capacity,
        sc.market.normal_utilisation,
        sc.market.overtime_premium,
        fixed_offer,
        dom_base,
        export_market,
        p_norm,
        foreign_cost,
        k.foreign_cost_ratio,
        ins.duty,
        k.elasticity,
        k.export_share,
        sc.market.export_elasticity,
        sc.market.export_share_cap,
        k.freight,
        sc.market.distress_price,
        sc.market.scarcity_price,
        ins.price_floor,
        ins.floor_evasion,
    )
    liq_sold = clr.sold_share * sec.liquidation
    liq_revenue = liq_sold * clr.price
    sec.liquidation = sec.liquidation - liq_sold
    accounts.sell(f, clr.output, inv_offer, clr.sold_share, clr.price)

    # ---- 6. accounts and learning
    cap_used = f.capacity.copy()
    extra = np.zeros(len(f))
    # entrants came after the campaign: appended rows get nothing, and reused rows were
    # dead (no capacity) when the campaign ran, so their item is zero
    extra[: len(camp.firm_extra)] = camp.firm_extra
    vcost, fixed, dep, op_sub = accounts.book(
        f,
        vc_i,
        os_i,
        om_s[f.sector],
        life,
        1.0 / life,
        extra,
        overtime_from=np.maximum(sc.market.normal_utilisation * f.capacity, must),
        overtime_premium=sc.market.overtime_premium,
    )
    credit_sub_i = np.maximum(c.market_rate - f.rate, 0.0) * np.maximum(f.debt + 0.0, 0.0)
    output_s = np.bincount(f.sector, weights=f.output, minlength=S)
    # rest-of-world producers supply their own markets net of China's exports (also when
    # China does not export at all)
    foreign_output = np.maximum(
        inp.foreign_demand[ti][None, :] * pdata.market_share - clr.exports_by_partner, 0.0
    ).sum(axis=0)
    sec.cum_output = sec.cum_output + output_s + foreign_output
    if sw.learning:
        sec.learning = accounts.learning_factor(
            sec.cum_output, inp.cum_world_anchor, k.learning_exp
        )

    # ---- 7. exit, bailouts, zombies
    zombie = exit.zombie_test(f, debt_start, c.market_rate, sc)
    # a firm's share of its province's modelled capacity value (local jobs), needed only
    # for the insolvent firms: the province totals here, the shares in resolve_insolvency
    val_p = np.bincount(f.province, weights=f.capacity * p_norm[f.sector], minlength=P)
    loss_making = f.profit < 0
    # record firm-level sums before exiting firms are dropped
    # capacity, revenue and fixed cost by sector follow from sector-level quantities (capacity
    # in use is cap_s: entrants have none; revenue is the price times firms' sales; O&M is
    # per unit of capacity); the rest are summed over firms
    revenue_s = clr.price * (clr.sales - liq_sold)
    sums = _firm_sums(
        f,
        S,
        cap_s,
        revenue_s,
        om_s * cap_s,
        vcost,
        dep,
        op_sub,
        credit_sub_i,
        loss_making,
        zombie,
    )
    prov_zombie = np.bincount(f.province, weights=zombie & f.alive, minlength=P)
    prov_firms = np.bincount(f.province, weights=f.alive, minlength=P)
    prov_op_sub = np.bincount(f.province, weights=op_sub, minlength=P)
    prov_credit_sub = np.bincount(f.province, weights=credit_sub_i, minlength=P)
    va_unit = k.ref_price * (1.0 - k.vc_share)
    prov_va = np.bincount(f.province, weights=f.output * va_unit[f.sector], minlength=P)
    stability = centre.regime_instruments(st.centre.regime, sc).stability_concern
    xf = exit.resolve_insolvency(f, (val_p, p_norm), S, P, sc, rng, stability)
    sec.liquidation = sec.liquidation + xf.liquidated_inventory
    sec.bad_loans_stock = sec.bad_loans_stock + xf.bad_loans - liq_revenue

    # misallocation: actual variable cost against the merit-order benchmark
    eff = market.efficient_cost(f.sector, vc_i, cap_used, output_s, p_norm)

    # ---- 9. trade defence and countermeasures
    unit_cost = safe_div(sums["vcost"] + sums["fixed"] + sums["dep"], output_s)
    x_by = clr.exports_by_partner
    china_share_js = safe_div(x_by, export_market)
    margin = trade.dumping_margin(clr.price, foreign_cost, unit_cost)
    new_measures = trade.defend(st.trade, china_share_js, x_by > 0, margin, pdata, sc, rng)
    scripted_start = (scripted > st.trade.scripted_prev + 1e-12).any(axis=1)
    st.trade.scripted_prev = scripted
    escalated = trade.counter(st.trade, duty, x_by, scripted_start, pdata, sc, rng)

    # ---- 10. macro and record
    va_s = output_s * k.ref_price * (1.0 - k.vc_share)
    # investment in GDP: construction spending spread over the build lag
    b_rows = np.flatnonzero(f.building > 0)
    build_spend_i = f.building[b_rows] * (capex_s / lag)[f.sector[b_rows]]
    construction = np.bincount(f.sector[b_rows], weights=build_spend_i, minlength=S)
    prov_invest = np.bincount(f.province[b_rows], weights=build_spend_i, minlength=P)
    modelled = float(va_s.sum() + construction.sum())
    trend = ctx.trend[ti]
    g_rest = (
        trend
        + sc.macro.income_feedback * (eco.modelled_growth - trend) * eco.modelled / eco.gdp
        + sc.macro.deflation_feedback * min(eco.ppi_change, 0.0)
        + macro_shock(sc, year)
    )
    eco.rest *= 1.0 + g_rest / 100.0
    gdp_prev = eco.gdp
    gdp = eco.rest + modelled
    eco.modelled_growth = 100.0 * (modelled / max(eco.modelled, 1e-9) - 1.0)
    eco.modelled = modelled
    eco.growth = 100.0 * (gdp / gdp_prev - 1.0)
    eco.gdp = gdp
    w_prev = safe_div(sec.sales_prev * sec.price, np.sum(sec.sales_prev * sec.price))
    ppi = float(100.0 * np.sum(w_prev * (safe_div(clr.price, sec.price, 1.0) - 1.0)))
    eco.ppi_change = ppi

    # provinces: rest of the economy by weight (with idiosyncratic drift) plus modelled VA
    noise = rng.normal(0.0, sc.provinces.growth_noise / 100.0, P)
    prov.weight *= np.exp(noise)
    prov.weight /= prov.weight.sum()
    gdp_p = eco.rest * prov.weight + prov_va + prov_invest
    prov.growth = 100.0 * (gdp_p / prov.gdp - 1.0)
    prov.gdp = gdp_p
    prov_spend = prov_capex_sub + prov_op_sub + xf.province_bailout
    provinces.fiscal_limit(prov, prov_spend, sc.provinces)
    promoted = provinces.advance_terms(prov, sc.provinces, rng)

    sales_now = clr.sales
    demand_normal = dom_base + market.export_demand(
        export_market,
        p_norm,
        foreign_cost,
        k.foreign_cost_ratio,
        ins.duty,
        k.export_share,
        sc.market.export_elasticity,
        sc.market.export_share_cap,
        p_norm,
        k.freight,
    ).sum(axis=0)
    sec.consensus_growth = investment.consensus_growth(
        demand_normal,
        sec.demand_prev,
        sec.consensus_growth,
        sc.investment.consensus_memory,
        sc.investment.growth_clip,
    )
    sec.sales_prev = sales_now
    sec.demand_prev = demand_normal
    price_prev = sec.price
    sec.price = clr.price
    sec.price_rel_prev = clr.price / p_norm
    sec.unit_cost_prev = np.where(output_s > 0, unit_cost, p_norm)
    cap_tot = sums["capacity"]
    sec.util_prev = np.where(cap_tot > 0, safe_div(output_s, cap_tot), 1.0)

    cap_val = sums["capacity"] * clr.price
    agg_util = float(np.sum(output_s * clr.price) / max(float(cap_val.sum()), 1e-12))
    zombie_total = float(safe_div(np.array(sums["zombie"].sum()), np.array(sums["firms"].sum())))
    eco.utilisation, eco.zombie_share = agg_util, zombie_total
    f.retire_dead(xf.dead_rows)
    if year < ctx.record_from:
        return

    fiscal = float(
        capex_sub.sum()
        + sums["op_sub"].sum()
        + sums["credit_sub"].sum()
        + xf.bailout_cost.sum()
        + camp.compensation.sum()
    )
    equity_end = np.bincount(f.sector, weights=f.equity, minlength=S)
    inv_end = np.bincount(f.sector, weights=f.inventory, minlength=S) + sec.liquidation
    cap_end = np.bincount(f.sector, weights=f.capacity, minlength=S)
    debt_end = np.bincount(f.sector, weights=f.debt, minlength=S)
    firms_end = np.bincount(f.sector, weights=f.alive, minlength=S)
    capacity = sums["capacity"]
    revenue = sums["revenue"]
    profit = sums["profit"]
    world = output_s + foreign_output
    in_force = st.trade.in_force | (scripted > 0)
    x_tot = x_by.sum(axis=0)
    duty_mean = np.where(x_tot > 0, safe_div((duty * x_by).sum(axis=0), x_tot), duty.mean(axis=0))
    ctx.recorder.sector_row(
        year,
        {
            "capacity": capacity,
            "output": output_s,
            "utilisation": safe_div(output_s, capacity),
            "sales": clr.sales,
            "liquidation_sales": liq_sold,
            "domestic_sales": clr.domestic_sales,
            "exports": clr.exports,
            "inventory": inv_end,
            "inventory_start": inv_start,
            "price": clr.price,
            "clearing_price": clr.clearing_price,
            "price_floor": ins.price_floor,
            "normal_price": p_norm,
            "unit_cost": unit_cost,
            "margin": safe_div(profit, revenue),
            "revenue": revenue,
            "profit": profit,
            "loss_making_share": safe_div(sums["loss_making"], sums["firms"]),
            "zombie_share": safe_div(sums["zombie"], sums["firms"]),
            "firms": firms_end,
            "entries": entries,
            "exits": xf.exits,
            "bailouts": xf.bailouts,
            "subsidies": capex_sub + sums["op_sub"] + sums["credit_sub"],
            "investment": spending,
            "capacity_started": started,
            "capacity_under_construction": np.bincount(f.sector, weights=f.building, minlength=S),
            "capacity_end": cap_end,
            "debt": debt_end,
            "bad_loans": xf.bad_loans,
            "bad_loans_stock": sec.bad_loans_stock.copy(),
            "equity": equity_end,
            "equity_start": equity_start,
            "equity_injections": equity_in + xf.equity_injected,
            "equity_removed": xf.equity_removed,
            "china_world_share": safe_div(output_s, world),
            "sold_over_capacity": safe_div(clr.sales, capacity),
            "domestic_sales_over_output": safe_div(clr.domestic_sales, output_s),
            "capacity_retired_by_campaign": camp.reported,
            "capacity_retired_real": camp.real,
            "campaign_compensation": camp.compensation,
            "trade_measures": in_force.sum(axis=0).astype(float),
            "duty_mean": duty_mean,
            "demand_domestic_base": dom_base,
            "foreign_market": export_market.sum(axis=0),
            "strategic": ins.strategic.astype(float),
            "price_change": 100.0 * (safe_div(clr.price, price_prev, 1.0) - 1.0),
        },
    )
    rank = provinces.growth_rank(prov.growth)
    ctx.recorder.province_row(
        year,
        {
            "gdp": gdp_p,
            "gdp_growth": prov.growth.copy(),
            "growth_rank": rank,
            "subsidies": prov_capex_sub + prov_op_sub,
            "credit_subsidy": prov_credit_sub,
            "debt": prov.debt.copy(),
            "zombie_share": safe_div(prov_zombie, prov_firms),
            "promoted": promoted.astype(np.int64),
            "subsidy_intensity": prov.intensity.mean(axis=1),
        },
    )
    ctx.recorder.trade_row(
        year,
        {
            "trade_measure_in_force": in_force.astype(np.int64),
            "duty": duty,
            "exports": x_by,
            "china_share": china_share_js,
            "dumping_margin": margin,
            "new_measure": new_measures.astype(np.int64),
        },
    )
    ctx.recorder.economy_row(
        year,
        {
            "gdp": gdp,
            "gdp_growth": eco.growth,
            "gdp_target": float(inp.growth_target[ti]),
            "regime": centre.regime_name(st.centre.regime),
            "regime_scripted": bool(st.centre.scripted),
            "ppi_change": ppi,
            "aggregate_utilisation": agg_util,
            "fiscal_cost": fiscal,
            "fiscal_cost_share_gdp": 100.0 * fiscal / gdp,
            "misallocation_tfp_loss": misallocation_loss(sums["vcost"], eff, gdp),
            "trade_measures": float(in_force.sum()),
            "new_trade_measures": float(new_measures.sum()),
            "countermeasures": float(controls.sum()),
            "escalations": float(escalated.sum()),
            "partners_with_measures": float(in_force.any(axis=1).sum()),
            "profit": float(profit.sum()),
            "investment": float(spending.sum()),
            "sales_value": float(np.sum(clr.sales * clr.price)),
            "zombie_share": zombie_total,
            "firms": float(firms_end.sum()),
            "bad_loans": float(xf.bad_loans.sum()),
            "rest_growth": g_rest,
        },
    )


def _firm_sums(
    f: Firms,
    S: int,
    capacity: F8,
    revenue: F8,
    fixed: F8,
    vcost: F8,
    dep: F8,
    op_sub: F8,
    credit_sub: F8,
    loss_making: np.ndarray,
    zombie: np.ndarray,
) -> dict[str, F8]:
    sec = f.sector

    def by(w: np.ndarray) -> F8:
        return np.bincount(sec, weights=w, minlength=S)

    # the three counts in one pass: code = alive + 2 loss-making + 4 zombie, per sector
    alive = f.alive
    code = sec * 8 + alive + 2 * (loss_making & alive) + 4 * (zombie & alive)
    counts = np.bincount(code, minlength=S * 8).reshape(S, 8).astype(float)
    return {
        "capacity": capacity,
        "revenue": revenue,
        "profit": by(f.profit),
        "vcost": by(vcost),
        "fixed": fixed,
        "dep": by(dep),
        "op_sub": by(op_sub),
        "credit_sub": by(credit_sub),
        "loss_making": counts[:, [3, 7]].sum(axis=1),
        "zombie": counts[:, [5, 7]].sum(axis=1),
        "firms": counts[:, 1::2].sum(axis=1),
    }


def new_firms(
    prov: np.ndarray,
    sec: np.ndarray,
    soe: np.ndarray,
    size: F8,
    year: int,
    z: F8,
    capex_s: F8,
    protection: F8,
    k: SectorConst,
    sc: Scenario,
    rng: np.random.Generator,
) -> Firms:
    """Entrants: a plant under construction, financed by the province's capex subsidy,
    the founders' equity and a loan; private entrants may be protected locally."""
    n = len(prov)
    nf = Firms.empty(n)
    nf.sector[:] = sec
    nf.province[:] = prov
    nf.soe[:] = soe
    nf.protected[:] = (~soe) & (rng.random(n) < protection[prov]) & sc.switches.local_protection
    nf.alive[:] = True
    zi = z[prov, sec]
    gross = size * capex_s[sec]
    net = gross * (1.0 - zi * sc.provinces.max_capex_subsidy)
    nf.building[:] = size
    nf.building_cost[:] = net
    nf.equity[:] = sc.investment.entrant_equity_share * net
    nf.debt[:] = net - nf.equity
    lags = investment.stochastic_lag(k.build_lag[sec], n, rng)
    nf.complete_year[:] = year + np.maximum(lags, 1)
    sigma = sc.population.cost_sigma
    eff = np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)
    nf.cost_eff[:] = (
        eff
        * (1.0 - sc.investment.entrant_cost_advantage)
        * (1.0 + sc.population.soe_cost_premium * soe)
    )
    return nf
