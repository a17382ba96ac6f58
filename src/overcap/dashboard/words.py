"""The dashboard's own words, in zh-TW and English: a tooltip per lever, plain units, the
glossary, the marks of a scenario's events on its levers.

They add to the report's catalogue (``overcap/report/messages.toml``, keys ``dash.*``)
and take precedence over it for the same key (the plain units replace the schema's
technical ones). :func:`overcap.dashboard.text.tr` looks here first.
"""

from __future__ import annotations

# key -> {language: text}; zh-TW first. tests/dashboard/test_words.py checks that every
# lever has a tooltip and every key both languages.
WORDS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- units, plainly
    # (the range reads "0 to 1 <unit>"; the schema's own unit is in the tooltip's path)
    "dash.unit.index_0_1": {"zh-TW": "（0 無，1 最強）", "en": "(0 none, 1 strongest)"},
    "dash.unit.logit_per_share_point_100": {
        "zh-TW": "（敏感度；0 不反應）",
        "en": "(sensitivity; 0 never reacts)",
    },
    "dash.unit.logit_per_unit_margin": {
        "zh-TW": "（敏感度；0 不反應）",
        "en": "(sensitivity; 0 never reacts)",
    },
    # ---------------------------------------------------------------- tooltips
    "dash.tip.subsidies": {
        "zh-TW": "省份以補貼爭取投資（錦標賽）。關掉：沒有任何地方補貼。",
        "en": "Provinces compete for investment with subsidies (the tournament). "
        "Off: no provincial subsidies at all.",
    },
    "dash.tip.subsidy_base": {
        "zh-TW": "補貼有多慷慨：0 沒有補貼，1 是模型允許的最高水準。",
        "en": "How generous subsidies are: 0 none, 1 the most the model allows.",
    },
    "dash.tip.soft_budget": {
        "zh-TW": "國企與受補貼企業以低利借款，虧損也借得到。關掉：人人面對同樣的信貸條件。",
        "en": "State and subsidised firms borrow cheaply, even when they lose money. "
        "Off: every firm faces the same credit terms.",
    },
    "dash.tip.bailouts": {
        "zh-TW": "資不抵債的企業由政府或銀行救活，而不是退出（殭屍企業由此而來）。",
        "en": "Insolvent firms are kept alive by the state or the banks instead of "
        "exiting (this is where zombie firms come from).",
    },
    "dash.tip.soft_budget_cover": {
        "zh-TW": "軟預算投資者的損失中，國家替他們承擔的比例：0 自負盈虧，1 全部由國家承擔。",
        "en": "Of a soft-budget investor's losses, the share the state bears: 0 none, 1 all of it.",
    },
    "dash.tip.soe_output_targets": {
        "zh-TW": "國企與受保護企業必須維持產量，即使價格低於成本。",
        "en": "State and protected firms must keep producing, even below cost.",
    },
    "dash.tip.must_run_utilisation": {
        "zh-TW": "有產量目標的企業至少要用掉多少產能：0.6 表示六成。",
        "en": "The share of capacity firms with output targets must use: 0.6 is 60%.",
    },
    "dash.tip.local_protection": {
        "zh-TW": "省份保護本地民營企業，使其免於退出。",
        "en": "Provinces shield their own private firms from exit.",
    },
    "dash.tip.protection_mean": {
        "zh-TW": "新進民營企業受地方保護的機率（平均）。",
        "en": "The chance (on average) that a private entrant is protected by its province.",
    },
    "dash.tip.visibility": {
        "zh-TW": "投資者看得到他人在建產能的比例：越低，越多人同時擴產（投資潮）。",
        "en": "The share of others' projects an investor sees: the lower, the more "
        "investors expand at once (the investment wave).",
    },
    "dash.tip.campaign_intensity": {
        "zh-TW": "中央在「管」的年份下令削減產能的力度，"
        "以產能利用率缺口的倍數計：1 表示要求補滿整個缺口。",
        "en": "How hard the centre orders capacity cut in 管 (control) years, as a "
        "multiple of the utilisation gap: 1 asks to close the whole gap.",
    },
    "dash.tip.campaign_compliance": {
        "zh-TW": "申報的削減中真正拆除的比例：1 全部落實，0 只是紙上作業。",
        "en": "Of the cuts reported, the share really done: 1 all, 0 only on paper.",
    },
    "dash.tip.campaign_approval": {
        "zh-TW": "去產能運動期間，新增產能仍被核准的比例：0 完全凍結。",
        "en": "While a campaign cuts, the share of new capacity still approved: 0 freezes "
        "approvals.",
    },
    "dash.tip.campaign_plan_years": {
        "zh-TW": "中央在運動開始時定下削減總量，分這麼多年平均執行（2016 年鋼鐵、煤炭的"
        "三至五年目標）；0 表示每年依當年的利用率缺口重新計算。",
        "en": "The centre sets a campaign's total cut when it starts and carries it out "
        "in equal parts over this many years (the three-to-five-year targets for steel "
        "and coal in 2016); 0 recomputes the cut every year from that year's gap.",
    },
    "dash.tip.price_floor": {
        "zh-TW": "「管」的年份中，價格不得低於平均成本的這個倍數：1 即成本價，0 沒有下限。",
        "en": "In 管 (control) years, prices may not fall below this multiple of "
        "average cost: 1 is cost, 0 no floor.",
    },
    "dash.tip.floor_evasion": {
        "zh-TW": "企業以暗中折扣規避價格下限的程度：0 完全遵守，1 下限形同虛設。",
        "en": "How much firms evade the floor with hidden discounts: 0 none, 1 the floor "
        "means nothing.",
    },
    "dash.tip.trade_defence": {
        "zh-TW": "貿易夥伴以反傾銷、反補貼稅回應進口激增與傾銷。",
        "en": "Partners answer import surges and dumping with anti-dumping and "
        "countervailing duties.",
    },
    "dash.tip.defence_surge": {
        "zh-TW": "夥伴對進口激增有多敏感：越高，越早採取措施；0 從不因激增而反應。",
        "en": "How sensitive partners are to import surges: the higher, the sooner they "
        "act; 0 never for a surge.",
    },
    "dash.tip.defence_dumping": {
        "zh-TW": "夥伴對低於成本出口（傾銷）有多敏感：越高，越早採取措施；0 從不因傾銷而反應。",
        "en": "How sensitive partners are to exports below cost (dumping): the higher, "
        "the sooner they act; 0 never for dumping.",
    },
    "dash.tip.countermeasures": {
        "zh-TW": "貿易夥伴升級措施時，中國可以稀土出口管制反制。",
        "en": "When a partner escalates, China may answer with rare-earth export controls.",
    },
    "dash.tip.countermeasure_probability": {
        "zh-TW": "每次升級時，國家以稀土反制回應的機率。",
        "en": "The chance that the state answers each escalation with rare-earth controls.",
    },
    "dash.tip.reform_year": {
        "zh-TW": "移動此情境自己的事件（例如市場化改革）開始的年份；其他事件不動。",
        "en": "Moves the year this scenario's own events (e.g. the market reform) start; "
        "the baseline's events stay.",
    },
    # ---------------------------------------------------------------- events on levers
    "dash.event_from": {
        "zh-TW": "{first} 年起：{value}（{event}）",
        "en": "from {first}: {value} ({event})",
    },
    "dash.event_years": {
        "zh-TW": "{years} 年：{value}（{event}）",
        "en": "{years}: {value} ({event})",
    },
    "dash.event_note": {
        "zh-TW": "上方的值適用於事件以外的年份。",
        "en": "The value above holds in the other years.",
    },
    "dash.on": {"zh-TW": "開", "en": "on"},
    "dash.off": {"zh-TW": "關", "en": "off"},
    "dash.event_floor": {"zh-TW": "下限 {floor}", "en": "floor {floor}"},
    "dash.event_campaign": {"zh-TW": "去產能運動", "en": "a campaign"},
    "dash.event_campaign_at": {
        "zh-TW": "去產能運動，強度 {intensity}",
        "en": "a campaign, intensity {intensity}",
    },
    "dash.event_controls": {"zh-TW": "稀土管制", "en": "rare-earth controls"},
    "dash.reform_marker": {"zh-TW": "改革 {year}", "en": "reform {year}"},
    "dash.more_levers": {
        "zh-TW": "點選群組標題可展開或收合。游標停在 ⓘ 上可看說明。",
        "en": "Click a group's title to open or close it. Hover over ⓘ for what a lever means.",
    },
    # replaces the report catalogue's "The same scenario from the command line"
    "dash.command": {
        "zh-TW": "以命令列重現此比較",
        "en": "The same comparison from the command line",
    },
    "dash.command_help": {
        "zh-TW": "在終端機執行這一行，得到與頁面完全相同的模擬（每次模擬、每條中位數）。",
        "en": "Run this line in a terminal to get exactly the runs the page shows (every "
        "run, every median).",
    },
    # ---------------------------------------------------------------- what the model is
    "dash.about": {
        "zh-TW": "這個模型是什麼、不是什麼：與歷史紀錄的吻合程度",
        "en": "What this model is and is not: how well it fits the record",
    },
    # ---------------------------------------------------------------- attribution tab
    "dash.view.attribution": {"zh-TW": "機制歸因", "en": "Attribution"},
    "dash.attr.experiment": {"zh-TW": "歸因實驗", "en": "Attribution experiment"},
    "dash.attr.outcome": {"zh-TW": "結果指標", "en": "Outcome"},
    "dash.attr.reload": {"zh-TW": "重新讀取", "en": "Reload list"},
    "dash.attr.help": {
        "zh-TW": "已儲存的歸因實驗（overcap attribute）：每個機制對所選結果的 Shapley 值。"
        "長條是各次重複的中位數，誤差線是自助法區間；「全開 − 全關」是各長條加總的結果。"
        "區間跨過 0 時，此模型無法判定該機制的方向。",
        "en": "A stored attribution experiment (overcap attribute): each mechanism's "
        "Shapley value for the chosen outcome. Bars are the median over replicates, "
        "whiskers its bootstrap band; 'all on - all off' is what the bars add up to. "
        "A band across 0 means the model cannot tell the mechanism's direction.",
    },
    "dash.attr.option": {
        "zh-TW": "{name}（{scenario}，{players} 個機制，每個聯盟 {runs} 次）",
        "en": "{name} ({scenario}, {players} mechanisms, {runs} runs per coalition)",
    },
    "dash.attr.incomplete": {
        "zh-TW": "— 未完成：以 overcap attribute --name {name} --resume 續跑",
        "en": "— incomplete: resume it with overcap attribute --name {name} --resume",
    },
    "dash.attr.none": {
        "zh-TW": "結果儲存區 {where} 中還沒有完成的歸因實驗。在終端機執行下面這一行建立一個：",
        "en": "No complete attribution experiment is stored in {where} yet. Make one in a "
        "terminal with:",
    },
    "dash.attr.none_after": {
        "zh-TW": "九個機制、每個聯盟 10 次，共 5,120 次模擬（估計兩個 worker 約 25 分鐘）；"
        "完成後按「重新讀取」。",
        "en": "Nine mechanisms, 10 runs per coalition: 5,120 runs (an estimated 25 minutes "
        "with 2 workers). Then press Reload list.",
    },
    "dash.attr.unreadable": {
        "zh-TW": "無法讀取歸因實驗 {name}：{detail}",
        "en": "Cannot read attribution experiment {name}: {detail}",
    },
    "dash.field.attribution": {"zh-TW": "歸因實驗", "en": "Attribution experiment"},
    "dash.field.outcome": {"zh-TW": "結果指標", "en": "Outcome"},
    # ---------------------------------------------------------------- glossary
    "dash.glossary": {"zh-TW": "名詞解釋", "en": "Glossary"},
    "dash.gloss.median.term": {"zh-TW": "中位數（實線）", "en": "Median (solid line)"},
    "dash.gloss.median.text": {
        "zh-TW": "同一情境多次模擬中，每年排在正中間的值。",
        "en": "Each year, the middle value over the runs of a scenario.",
    },
    "dash.gloss.band.term": {"zh-TW": "5–95% 區間（色帶）", "en": "5-95% band (shaded)"},
    "dash.gloss.band.text": {
        "zh-TW": "九成模擬落在其中的範圍；只跑一次時沒有色帶。",
        "en": "Where nine runs in ten fall; with one run there is no band.",
    },
    "dash.gloss.runs.term": {"zh-TW": "模擬次數、種子", "en": "Runs, seed"},
    "dash.gloss.runs.text": {
        "zh-TW": "每次模擬是同一個世界的一種機運；同一種子、同一次數，結果完全相同。"
        "情境與基準情境的第 i 次模擬共用同一組亂數。",
        "en": "Each run is one draw of chance in the same world; the same seed and number "
        "of runs give exactly the same results. Run i of a scenario and of the baseline "
        "share their random numbers.",
    },
    "dash.gloss.baseline.term": {"zh-TW": "基準情境", "en": "Baseline"},
    "dash.gloss.baseline.text": {
        "zh-TW": "依歷史紀錄校準的模型：補貼、軟預算、紓困與運動都照實際發生。",
        "en": "The model calibrated to the record: subsidies, soft budgets, bailouts and "
        "campaigns as they happened.",
    },
    "dash.gloss.reform.term": {"zh-TW": "改革年（虛線）", "en": "Reform year (dashed line)"},
    "dash.gloss.reform.text": {
        "zh-TW": "情境自己的事件開始的年份；之前兩條線應幾乎重合。",
        "en": "The year the scenario's own events start; before it the two lines should "
        "nearly coincide.",
    },
    "dash.gloss.utilisation.term": {"zh-TW": "產能利用率", "en": "Utilisation"},
    "dash.gloss.utilisation.text": {
        "zh-TW": "產量占產能的比例；長期低於約八成即為產能過剩。",
        "en": "Output as a share of capacity; well below about 80% for years is overcapacity.",
    },
    "dash.gloss.regimes.term": {"zh-TW": "放、亂、管、死", "en": "放 亂 管 死"},
    "dash.gloss.regimes.text": {
        "zh-TW": "中央政策的循環：放（放鬆、鼓勵投資）、亂（過熱）、"
        "管（整頓、去產能）、死（停滯）。",
        "en": "The centre's policy cycle: loosen (invest), chaos (overheating), control "
        "(campaigns, cuts), stagnation.",
    },
    "dash.gloss.zombie.term": {"zh-TW": "殭屍企業", "en": "Zombie firms"},
    "dash.gloss.zombie.text": {
        "zh-TW": "資不抵債卻靠紓困或續貸繼續營運的企業。",
        "en": "Insolvent firms kept running by bailouts or rolled-over loans.",
    },
    "dash.gloss.units.term": {"zh-TW": "比例、機率、指數", "en": "Share, probability, index"},
    "dash.gloss.units.text": {
        "zh-TW": "0 到 1 之間的數：0.25 即四分之一（25%）。指數只比高低，0 無、1 最強。",
        "en": "Numbers from 0 to 1: 0.25 is a quarter (25%). An index only ranks: 0 none, "
        "1 strongest.",
    },
}

GLOSSARY: tuple[str, ...] = (
    "median",
    "band",
    "reform",
    "baseline",
    "runs",
    "utilisation",
    "regimes",
    "zombie",
    "units",
)
