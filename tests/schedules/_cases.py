"""One representative schedule per family (and per decay type / convention) for the contract
suite: ``(id, schedule, total_steps, lower, upper, warmup_steps, monotone, boundaries)``.

``monotone`` promises non-increasing values after the warmup; ``boundaries`` lists the phase
boundaries where the formula is continuous (checked with float steps just before and after).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lawfit import schedules as sch

P = 3e-4


class Case(NamedTuple):
    id: str
    schedule: Any
    total: int
    lower: float
    upper: float
    warmup: int
    monotone: bool
    boundaries: tuple[float, ...]


def _cases() -> list[Case]:
    c: list[Case] = [
        Case("constant", sch.constant(P, warmup_steps=20), 200, 0.0, P, 20, True, (20,)),
        Case("constant_no_warmup", sch.constant(P), 50, P, P, 0, True, ()),
        Case("linear", sch.linear(P, 200, warmup_steps=20, end_ratio=0.1), 200, 0.0, P, 20,
             True, (20, 200)),
        Case("polynomial", sch.polynomial(P, 200, power=2.0, end_value=1e-6, warmup_steps=20),
             200, 0.0, P, 20, True, (20, 200)),
        Case("cosine", sch.cosine(P, 200, warmup_steps=20, end_ratio=0.1, init_value=1e-5), 200,
             1e-5, P, 20, True, (20, 200)),
        Case("cosine_exponent", sch.cosine(P, 200, exponent=2.0, warmup_steps=20), 200, 0.0, P,
             20, True, (20, 200)),
        Case("cosine_t+1", sch.cosine(P, 200, warmup_steps=20, warmup_convention="(t+1)/W"), 200,
             0.0, P, 20, True, (20, 200)),
        Case("cosine_linspace", sch.cosine(P, 200, warmup_steps=20, warmup_convention="linspace",
                                           warmup_shape="cosine"), 200, 0.0, P, 20, True,
             (20, 200)),
        Case("exponential", sch.exponential(P, 10, 0.8, warmup_steps=20, transition_begin=5),
             200, 0.0, P, 20, True, (20, 25)),
        Case("exponential_staircase_floor",
             sch.exponential(P, 10, 0.5, staircase=True, end_value=1e-5), 200, 1e-5, P, 0, True,
             ()),
        Case("inverse_sqrt", sch.inverse_sqrt(P, 20, end_value=1e-5), 400, 0.0, P, 20, True,
             (20,)),
        Case("inverse_sqrt_timescale", sch.inverse_sqrt(P, 0, timescale=50.0), 400, 0.0, P, 0,
             True, ()),
        Case("step", sch.step(P, 30, gamma=0.5, warmup_steps=20), 200, 0.0, P, 20, True, (20,)),
        Case("multistep", sch.multistep(P, [100, 150], gamma=0.3, warmup_steps=20), 200, 0.0, P,
             20, True, (20,)),
        Case("deepseek_811", sch.deepseek_811(P, 200, warmup_steps=20), 200, 0.0, P, 20, True,
             (20,)),
        Case("cyclic", sch.cyclic(1e-5, P, 15, step_size_down=25), 200, 1e-5, P, 0, False,
             (15, 40, 55)),
        Case("cyclic_triangular2", sch.cyclic(1e-5, P, 20, mode="triangular2"), 200, 1e-5, P, 0,
             False, (20, 40, 60)),
        Case("cyclic_exp_range", sch.cyclic(1e-5, P, 20, mode="exp_range", gamma=0.99), 200, 1e-5,
             P, 0, False, (20, 40)),
        Case("one_cycle", sch.one_cycle(P, 200), 200, P / 25 / 1e4, P, 59, True, (59, 199)),
        Case("one_cycle_three_phase", sch.one_cycle(P, 200, three_phase=True, anneal="linear"),
             200, P / 25 / 1e4, P, 0, False, (59, 118, 199)),
        Case("one_cycle_optax", sch.one_cycle(P, 200, convention="optax"), 200, P / 25 / 1e4, P,
             60, True, (60, 200)),
        Case("sgdr", sch.sgdr(P, 30, cycle_mult=2, end_ratio=0.1, warmup_steps=10), 250, 0.0,
             P, 10, False, (10,)),
        Case("sgdr_decay", sch.sgdr(P, 40.5, cycle_decay=0.5), 250, 0.0, P, 0, False, ()),
        Case("rex_paper", sch.rex(P, 200, warmup_steps=20, end_ratio=0.1), 200, 0.0, P, 20,
             True, (20, 200)),
        Case("rex_code", sch.rex(P, 200, profile="code"), 200, 0.0, P, 0, True, (200,)),
        Case("wsdsc", sch.wsdsc(P, 200, decay_fraction=0.12, warmup_steps=20), 200, 0.0, P, 20,
             True, (20, 176, 200)),
        Case("wsd_s", sch.wsd_s(P, [80, 60, 60], decay_fraction=0.25, warmup_steps=10,
                                end_ratio=0.1, decay_type="inverse_proportional",
                                rewarm_steps=5), 200, 0.0, P, 10, False, (10, 60, 85, 125)),
        Case("rewarm", sch.rewarm([P, 2e-4], [100, 100], warmup_steps=[10, 20], end_ratio=0.1),
             200, 0.0, P, 10, False, (10, 100, 120, 200)),
        Case("infinite", sch.infinite(P, 1.65e-4, 3e-5, warmup_steps=20, cooldown_steps=60,
                                      constant_steps=50, anneal_steps=40), 200, 0.0, P, 20, True,
             (20, 80, 130, 170)),
        Case("infinite_relaxation",
             sch.infinite(P, 1.65e-4, 3e-5, warmup_steps=20, cooldown_steps=60, constant_steps=50,
                          anneal_steps=40, anneal="relaxation", anneal_tau=10.0), 200, 0.0, P,
             20, True, (20, 80, 130)),
        Case("tabulated_linear", sch.tabulated([0, 10, 50, 120], [0.0, P, P, 3e-5]), 200, 0.0, P,
             10, True, (10, 50, 120)),
        Case("tabulated_previous",
             sch.tabulated([0, 10, 50, 120], [1e-5, P, 1e-4, 3e-5], kind="previous"), 200, 1e-5,
             P, 10, True, ()),
        Case("join", sch.join([sch.constant(P, warmup_steps=20),
                               sch.cosine(P, 100, end_ratio=0.1)], [100]), 200, 0.0, P, 20, True,
             (20, 100, 200)),
        Case("uba", sch.uba(P, 200, phi=0.5, warmup_steps=20, end_ratio=0.1), 200, 0.0, P, 20,
             True, (20, 200)),
        Case("uba_early", sch.uba(P, 200, phi=5.0), 200, 0.0, P, 0, True, (200,)),
        Case("refined", sch.refined(list(1.0 + 0.5 * np.sin(np.arange(180) / 20.0)), P,
                                    warmup_steps=20), 200, 0.0, P, 20, False, (20, 199)),
        Case("refined_constant_norms", sch.refined([2.0] * 200, P, median_window=1), 200, 0.0, P,
             0, True, (199,)),
        Case("hf_wsd", sch.hf_schedule("warmup_stable_decay", P, 20, 200, num_decay_steps=40,
                                       min_lr_ratio=0.1, warmup_type="cosine"), 200, 0.1 * P, P,
             20, True, (20, 160, 200)),
    ]
    for kind in sch.DECAY_TYPES:
        extra: dict[str, Any] = {}
        if kind == "power":
            extra["power"] = 1.5
        if kind == "half_life":
            extra["half_life"] = 10.0
        if kind == "exponential_rate":
            extra.update(decay_rate=0.5, transition_steps=8.0)
        s = sch.wsd(P, 200, warmup_steps=20, decay_steps=50, decay_type=kind, end_ratio=0.1,
                    **extra)
        bounds = (20, 150) if kind in ("half_life", "exponential_rate") else (20, 150, 200)
        c.append(Case(f"wsd_{kind}", s, 200, 0.0, P, 20, True, bounds))
    return c


CASES = _cases()
IDS = [c.id for c in CASES]
