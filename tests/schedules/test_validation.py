"""Every invalid argument raises ValueError naming the argument and showing its value."""

import numpy as np
import pytest

from lawfit import schedules as sch

P = 3e-4

BAD = [
    # (factory, args, kwargs, words that must appear in the message)
    (sch.constant, (-1.0,), {}, ["peak_value", "-1.0"]),
    (sch.constant, (P,), {"warmup_steps": -5}, ["warmup_steps", "-5"]),
    (sch.constant, (P,), {"warmup_steps": 2.5}, ["warmup_steps", "2.5"]),
    (sch.constant, (P,), {"init_value": 1e-3}, ["init_value", "0.001", "peak_value"]),
    (sch.constant, (P,), {"warmup_steps": 3, "warmup_convention": "t/(W+1)"},
     ["warmup_convention", "t/(W+1)", "t/W", "(t+1)/W", "linspace"]),
    (sch.constant, (P,), {"warmup_shape": "exp"}, ["warmup_shape", "exp"]),
    (sch.constant, (float("nan"),), {}, ["peak_value", "nan"]),
    (sch.linear, (P, 100), {"warmup_steps": 100}, ["warmup_steps", "100", "total_steps"]),
    (sch.linear, (P, -10), {}, ["total_steps", "-10"]),
    (sch.linear, (P, 100), {"end_value": 1e-3}, ["end_value", "0.001", "peak_value"]),
    (sch.linear, (P, 100), {"end_value": 1e-5, "end_ratio": 0.1}, ["end_value", "end_ratio"]),
    (sch.cosine, (P, 100), {"end_ratio": 1.5}, ["end_ratio", "1.5"]),
    (sch.cosine, (P, 100), {"end_value": -1e-5}, ["end_value", "-1e-05"]),
    (sch.cosine, (P, 100), {"warmup_steps": 150}, ["warmup_steps", "150"]),
    (sch.cosine, (P, 100), {"clamp": "yes"}, ["clamp", "yes"]),
    (sch.cosine, (P, 100), {"exponent": 0}, ["exponent", "0"]),
    (sch.exponential, (P, 10, 1.5), {}, ["decay_rate", "1.5"]),
    (sch.exponential, (P, 0, 0.5), {}, ["transition_steps", "0"]),
    (sch.exponential, (P, 10, 0.5), {"transition_begin": -1}, ["transition_begin", "-1"]),
    (sch.inverse_sqrt, (P, 0), {}, ["warmup_steps", "timescale"]),
    (sch.inverse_sqrt, (P, 10), {"timescale": -1.0}, ["timescale", "-1.0"]),
    (sch.step, (P, 0), {}, ["step_size", "0"]),
    (sch.step, (P, 10), {"gamma": 2.0}, ["gamma", "2.0"]),
    (sch.multistep, (P, [50, 20]), {"gamma": 0.1}, ["milestones", "[50, 20]"]),
    (sch.multistep, (P, [50]), {}, ["gamma", "factors", "values"]),
    (sch.multistep, (P, [50, 80]), {"factors": [0.5]}, ["factors", "[0.5]"]),
    (sch.multistep, (P, [50, 80]), {"factors": [0.1, 0.5]}, ["factors", "non-increasing"]),
    (sch.multistep, (P, [5]), {"gamma": 0.1, "warmup_steps": 10}, ["milestones", "warmup_steps"]),
    (sch.multistep, (P, [5]), {"values": [1.0]}, ["values[0]", "1.0"]),
    (sch.deepseek_811, (P, 1000), {"warmup_steps": 900}, ["warmup_steps", "900"]),
    (sch.cyclic, (P, 1e-5), {}, ["init_value", "peak_value"]),
    (sch.cyclic, (1e-5, P), {"mode": "sine"}, ["mode", "sine", "triangular2"]),
    (sch.one_cycle, (P, 100), {"pct_start": 1.2}, ["pct_start", "1.2"]),
    (sch.one_cycle, (P, 100), {"anneal": "exp"}, ["anneal", "exp"]),
    (sch.one_cycle, (P, 100), {"pct_final": 0.9}, ["pct_final", "0.9"]),
    (sch.sgdr, (P, -3), {}, ["cycle_steps", "-3"]),
    (sch.sgdr, (P, 10), {"cycle_mult": 1.5}, ["cycle_mult", "1.5"]),
    (sch.wsd, (P, 100), {}, ["decay_steps", "decay_fraction"]),
    (sch.wsd, (P, 100), {"decay_steps": 150}, ["decay_steps", "150", "total_steps=100"]),
    (sch.wsd, (P, 100), {"decay_steps": 50, "warmup_steps": 60}, ["decay_steps", "warmup_steps"]),
    (sch.wsd, (P, 100), {"decay_steps": -5}, ["decay_steps", "-5"]),
    (sch.wsd, (P, 100), {"decay_fraction": 1.5}, ["decay_fraction", "1.5"]),
    (sch.wsd, (P, 100), {"decay_fraction": 0.001}, ["decay_fraction", "0.001"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "decay_type": "exponential"},
     ["decay_type", "exponential", "half_life", "geometric", "megatron_exponential",
      "exponential_rate"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "decay_type": "zigzag"},
     ["decay_type", "zigzag", "linear", "1-sqrt", "inverse_proportional"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "decay_type": "geometric"},
     ["geometric", "end_value"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "decay_type": "power"}, ["power", "None"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "half_life": 5.0}, ["half_life", "5.0"]),
    (sch.wsd, (P, 100), {"decay_steps": 10, "end_value": 1e-3}, ["end_value", "peak_value"]),
    (sch.wsdsc, (P, 100), {"decay_steps": 100, "warmup_steps": 1}, ["decay_steps", "100"]),
    (sch.wsd_s, (P, [100, 0]), {"decay_steps": 10}, ["period_steps[1]", "0"]),
    (sch.wsd_s, (P, [100, 20]), {"decay_steps": 30}, ["decay_steps", "30", "period_steps[1]"]),
    (sch.wsd_s, (P, [100, 100]), {"decay_steps": [10]}, ["decay_steps", "[10]"]),
    (sch.rex, (P, 100), {"profile": "fast"}, ["profile", "fast", "paper", "code"]),
    (sch.rewarm, (P, [100, 50]), {"warmup_steps": 60}, ["warmup_steps", "stage_steps[1]"]),
    (sch.rewarm, ([P], [100, 50]), {}, ["peak_value", "stage"]),
    (sch.infinite, (P, 5e-4, 3e-5), {"warmup_steps": 1, "cooldown_steps": 1,
                                     "constant_steps": 1}, ["const_value", "0.0005"]),
    (sch.infinite, (P, 1e-4, 0.0), {"warmup_steps": 1, "cooldown_steps": 1, "constant_steps": 1,
                                    "anneal_steps": 5}, ["geometric", "end_value"]),
    (sch.infinite, (P, 1e-4, 1e-5), {"warmup_steps": 1, "cooldown_steps": 1, "constant_steps": 1,
                                     "anneal_steps": 5, "anneal": "relaxation"}, ["anneal_tau"]),
    (sch.tabulated, ([0, 5, 5], [1.0, 0.5, 0.2]), {}, ["strictly increasing", "steps[1]"]),
    (sch.tabulated, ([0, -5], [1.0, 0.5]), {}, ["steps", ">= 0"]),
    (sch.tabulated, ([0, 5], [1.0]), {}, ["values", "same length"]),
    (sch.tabulated, ([0, 5], [1.0, float("inf")]), {}, ["values[1]", "inf"]),
    (sch.tabulated, ([0, 5], [1.0, 0.5]), {"kind": "cubic"}, ["kind", "cubic", "previous"]),
    (sch.join, ([sch.constant(P), sch.constant(P)], [10, 20]), {}, ["boundaries", "[10, 20]"]),
    (sch.join, ([sch.constant(P), sch.constant(P)], [-1]), {}, ["boundaries[0]", "-1"]),
    (sch.to_array, (sch.constant(P), -3), {}, ["total_steps", "-3"]),
]


@pytest.mark.parametrize(("factory", "args", "kwargs", "words"), BAD,
                         ids=[f"{b[0].__name__}-{i}" for i, b in enumerate(BAD)])
def test_invalid_argument_raises_value_error_naming_it(factory, args, kwargs, words):
    with pytest.raises(ValueError) as info:
        factory(*args, **kwargs)
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)


def test_spec_errors():
    with pytest.raises(ValueError, match="family"):
        sch.from_spec({"peak_value": 1.0})
    with pytest.raises(ValueError, match="unknown schedule family 'cosinus'"):
        sch.from_spec({"family": "cosinus"})
    with pytest.raises(ValueError, match=r"unknown keys \['decay'\]"):
        sch.from_spec({"family": "cosine", "peak_value": 1.0, "total_steps": 10, "decay": 3})
    with pytest.raises(ValueError, match="total_steps"):
        sch.from_spec({"family": "cosine", "peak_value": 1.0})


def test_to_spec_refuses_foreign_callables():
    import optax

    with pytest.raises(TypeError, match="tabulated"):
        sch.to_spec(optax.cosine_decay_schedule(1.0, 10))
    with pytest.raises(TypeError):
        sch.to_spec(lambda t: t)
    opaque = sch.join([sch.constant(1.0), optax.linear_schedule(1.0, 0.0, 5)], [5])
    np.testing.assert_allclose(sch.to_array(opaque, 8), [1, 1, 1, 1, 1, 1, 0.8, 0.6], rtol=1e-15)
    with pytest.raises(TypeError):
        sch.to_spec(opaque)


def test_spec_is_a_copy_and_inputs_are_copied():
    steps, values = [0, 10], [1.0, 0.5]
    s = sch.tabulated(steps, values)
    values[1] = 99.0
    spec = s.spec
    spec["values"][0] = -1.0
    assert s.spec["values"] == [1.0, 0.5]
    assert sch.to_array(s, 11)[10] == 0.5
