"""Deterministic data for proxy runs: domains, mixtures and held-out validation windows.

Built-in domains (all byte ids, vocabulary 256):

* ``"stdlib"``: real text, the Python standard library's source (:func:`stdlib_corpus`).
* ``"hmm"``, ``"hmm_b"``: synthetic streams from a hidden Markov model whose hidden states
  move to one of ``branching`` successors with Zipf weights and emit one of ``support`` tokens
  (a state-specific random subset of ``token_range``) with Zipf(``zipf``) weights; the two defaults differ in every
  statistic, so mixture and continual-pretraining effects are real.

A domain can also be a spec dict: ``{"name": "mine", "kind": "hmm", "n_states": 64, "zipf": 1.1,
"branching": 4, "support": 8, "token_range": [0, 128], "n_tokens": 1_000_000, "seed": 3}`` or
``{"name": "code", "kind": "stdlib", "n_tokens": 2_000_000}``.

Each domain's stream is split into a training part and a held-out tail (``val_fraction``). A batch
at step t is a pure function of ``(run seed, t, mixture)``: each sequence picks its domain with the
mixture weights, then a uniformly random window of ``context + 1`` tokens of that domain. Nothing
is stored between steps, so a resumed run sees exactly the same data.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from lawfit.proxy._corpus import stdlib_corpus

__all__ = ["builtin_domains", "domain_tokens"]

VAL_FRACTION = 0.1

_BUILTIN: dict[str, dict[str, Any]] = {
    "stdlib": {"kind": "stdlib", "n_tokens": 2_000_000},
    "hmm": {"kind": "hmm", "n_states": 32, "zipf": 1.2, "branching": 3, "support": 6,
            "token_range": [32, 128], "n_tokens": 1_000_000, "seed": 1},
    "hmm_b": {"kind": "hmm", "n_states": 24, "zipf": 1.5, "branching": 2, "support": 10,
              "token_range": [64, 256], "n_tokens": 1_000_000, "seed": 2},
}


def builtin_domains() -> dict[str, dict[str, Any]]:
    """The built-in domain specs by name."""
    return {k: dict(v) for k, v in _BUILTIN.items()}


def _resolve(domain: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(domain, str):
        if domain not in _BUILTIN:
            raise ValueError(f"unknown domain {domain!r}; built-in domains are {sorted(_BUILTIN)} "
                             "or pass a spec dict with 'name' and 'kind'")
        return domain, dict(_BUILTIN[domain])
    spec = dict(domain)
    name = spec.pop("name", None)
    if not name or spec.get("kind") not in ("hmm", "stdlib"):
        raise ValueError(f"domain spec {domain!r} needs a 'name' and kind 'hmm' or 'stdlib'")
    base = dict(_BUILTIN["hmm" if spec["kind"] == "hmm" else "stdlib"])
    base.update(spec)
    return str(name), base


def domain_tokens(domain: Any, data_seed: int = 0) -> np.ndarray:
    """The full token stream (uint8) of a domain; deterministic from its spec and ``data_seed``."""
    name, spec = _resolve(domain)
    return _tokens(json.dumps(spec, sort_keys=True), data_seed)


@functools.lru_cache(maxsize=16)
def _tokens(spec_json: str, data_seed: int) -> np.ndarray:
    spec = json.loads(spec_json)
    n = int(spec["n_tokens"])
    if spec["kind"] == "stdlib":
        return stdlib_corpus(n)
    return _hmm_stream(n, int(spec["n_states"]), float(spec["zipf"]), int(spec["branching"]),
                       int(spec["support"]), tuple(spec["token_range"]),
                       int(spec["seed"]) + 1000 * data_seed)


def _zipf_cdf(rng: np.random.Generator, rows: int, k: int, a: float) -> tuple[np.ndarray, np.ndarray]:
    w = 1.0 / np.arange(1, k + 1) ** a
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    perms = np.stack([rng.permutation(k) for _ in range(rows)])
    return np.broadcast_to(cdf, (rows, k)), perms


def _hmm_stream(n, n_states, a, branching, support, token_range, seed) -> np.ndarray:
    lo, hi = token_range
    if not 0 <= lo < hi <= 256 or not 1 <= support <= hi - lo:
        raise ValueError(f"hmm domain: token_range={token_range} must satisfy 0 <= lo < hi <= 256 "
                         f"and support={support} must be in [1, hi - lo]")
    rng = np.random.default_rng(seed)
    emit_cdf, emit_perm = _zipf_cdf(rng, n_states, hi - lo, a)
    emit_cdf, emit_perm = _zipf_cdf(rng, n_states, support, a)[0], emit_perm[:, :support]
    trans_cdf, _ = _zipf_cdf(rng, n_states, branching, 1.0)
    succ = rng.integers(0, n_states, size=(n_states, branching))
    chains = 256
    length = -(-n // chains)
    state = rng.integers(0, n_states, size=chains)
    out = np.empty((length, chains), dtype=np.uint8)
    for t in range(length):
        u = rng.random(chains)
        r = (emit_cdf[state] < u[:, None]).sum(1)
        out[t] = lo + emit_perm[state, r]
        v = rng.random(chains)
        state = succ[state, (trans_cdf[state] < v[:, None]).sum(1)]
    data = out.T.reshape(-1)[:n].copy()
    data.setflags(write=False)
    return data


@dataclass(frozen=True)
class DataBundle:
    """Device-ready arrays for a set of domains (shared by all runs of a vmapped batch)."""

    names: tuple[str, ...]
    train: np.ndarray  # int32 concatenated training parts
    offsets: np.ndarray  # int32 [n_domains]
    sizes: np.ndarray  # int32 [n_domains] training length of each domain
    val: np.ndarray  # int32 [n_domains, val_sequences, context + 1]


def build_data(domains, context: int, val_sequences: int, data_seed: int) -> DataBundle:
    """Split each domain into train / held-out parts and draw fixed validation windows."""
    names, trains, vals = [], [], []
    for d in domains:
        name, _ = _resolve(d)
        toks = domain_tokens(d, data_seed)
        n_val = int(len(toks) * VAL_FRACTION)
        train, held = toks[: len(toks) - n_val], toks[len(toks) - n_val:]
        for part, label in ((train, "training"), (held, "held-out")):
            if len(part) < context + 2:
                raise ValueError(
                    f"domain {name!r}: its {label} part has {len(part)} tokens, fewer than "
                    f"context + 2 = {context + 2}; use a shorter context or a larger n_tokens"
                )
        rng = np.random.default_rng([data_seed, len(names), 7])
        starts = rng.integers(0, len(held) - context - 1, size=val_sequences)
        vals.append(np.stack([held[s : s + context + 1] for s in starts]).astype(np.int32))
        names.append(name)
        trains.append(train)
    sizes = np.array([len(t) for t in trains], dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
    return DataBundle(tuple(names), np.concatenate(trains).astype(np.int32), offsets, sizes,
                      np.stack(vals))


def sample_batch(key, weights, train, offsets, sizes, batch_size: int, context: int):
    """A ``[batch_size, context + 1]`` int32 batch (jittable; vmaps over ``key`` and ``weights``)."""
    import jax
    import jax.numpy as jnp

    kd, ks = jax.random.split(key)
    dom = jax.random.categorical(kd, jnp.log(weights), shape=(batch_size,))
    hi = sizes[dom] - context - 1
    start = offsets[dom] + jax.random.randint(ks, (batch_size,), 0, hi, dtype=jnp.int32)
    idx = start[:, None] + jnp.arange(context + 1, dtype=jnp.int32)[None, :]
    return train[idx]
