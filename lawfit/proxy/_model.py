"""A small decoder-only transformer in plain JAX (pre-LayerNorm GPT with tied embeddings).

``h_0 = E[x] + P``; for each block ``h += Attn(LN(h))``, ``h += MLP(LN(h))`` with a causal
multi-head attention and a GELU MLP; ``logits = LN(h) E^T``. Parameters are a dict pytree of float32
arrays; the loss is the mean next-token cross-entropy in nats.

Example:
    >>> import jax
    >>> from lawfit.proxy import ModelConfig, init_params, lm_loss
    >>> cfg = ModelConfig(width=32, depth=1, heads=2, context=16)
    >>> p = init_params(cfg, seed=0)
    >>> batch = jax.numpy.zeros((2, 17), dtype=jax.numpy.int32)
    >>> float(lm_loss(p, batch, cfg)) > 0
    True
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from lawfit.proxy._config import ModelConfig

__all__ = ["init_params", "lm_apply", "lm_loss"]


def init_params(cfg: ModelConfig, seed: int) -> dict:
    """GPT-2 style initialisation (normal 0.02, residual projections scaled by 1/sqrt(2 depth)),
    drawn on the host with ``numpy.random.default_rng(seed)`` (deterministic, nothing to compile)."""
    import numpy as np

    d, f, L = cfg.width, cfg.mlp_ratio * cfg.width, cfg.depth
    rng = np.random.default_rng([int(seed), 0x1A3F])
    std, res_std = 0.02, 0.02 / (2 * L) ** 0.5

    def normal(shape, s):
        return jnp.asarray((s * rng.standard_normal(shape)).astype(np.float32))

    def zeros(*shape):
        return jnp.zeros(shape, jnp.float32)

    def ones(*shape):
        return jnp.ones(shape, jnp.float32)

    embed, pos = normal((cfg.vocab_size, d), std), normal((cfg.context, d), 0.01)
    blocks = []
    for _ in range(L):
        blocks.append({
            "ln1_g": ones(d), "ln1_b": zeros(d),
            "qkv_w": normal((d, 3 * d), std), "qkv_b": zeros(3 * d),
            "proj_w": normal((d, d), res_std), "proj_b": zeros(d),
            "ln2_g": ones(d), "ln2_b": zeros(d),
            "fc_w": normal((d, f), std), "fc_b": zeros(f),
            "out_w": normal((f, d), res_std), "out_b": zeros(d),
        })
    return {"embed": embed, "pos": pos, "blocks": blocks, "lnf_g": ones(d), "lnf_b": zeros(d)}


def _layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) * jax.lax.rsqrt(var + eps) * g + b


def _attention(blk, x, heads):
    B, S, d = x.shape
    qkv = x @ blk["qkv_w"] + blk["qkv_b"]
    q, k, v = jnp.split(qkv.reshape(B, S, 3, heads, d // heads), 3, axis=2)
    q, k, v = q[:, :, 0], k[:, :, 0], v[:, :, 0]  # [B, S, H, Dh]
    att = jnp.einsum("bqhd,bkhd->bhqk", q, k) * (d // heads) ** -0.5
    mask = jnp.tril(jnp.ones((S, S), dtype=bool))
    att = jnp.where(mask, att, jnp.finfo(att.dtype).min)
    att = jax.nn.softmax(att, axis=-1)
    out = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(B, S, d)
    return out @ blk["proj_w"] + blk["proj_b"]


def lm_apply(params: dict, tokens, cfg: ModelConfig):
    """Logits ``[B, S, vocab]`` for int tokens ``[B, S]`` (S <= context)."""
    S = tokens.shape[1]
    h = params["embed"][tokens] + params["pos"][:S]
    for blk in params["blocks"]:
        h = h + _attention(blk, _layer_norm(h, blk["ln1_g"], blk["ln1_b"]), cfg.heads)
        z = _layer_norm(h, blk["ln2_g"], blk["ln2_b"])
        h = h + jax.nn.gelu(z @ blk["fc_w"] + blk["fc_b"]) @ blk["out_w"] + blk["out_b"]
    h = _layer_norm(h, params["lnf_g"], params["lnf_b"])
    return h @ params["embed"].T


def sequence_losses(params: dict, batch, cfg: ModelConfig):
    """Mean next-token cross-entropy of each sequence of ``batch`` ``[B, S+1]`` -> ``[B]``."""
    logits = lm_apply(params, batch[:, :-1], cfg)
    logp = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
    nll = -jnp.take_along_axis(logp, batch[:, 1:, None], axis=-1)[..., 0]
    return nll.mean(-1)


def lm_loss(params: dict, batch, cfg: ModelConfig):
    """Mean next-token cross-entropy (nats) of ``batch`` ``[B, S+1]``."""
    return sequence_losses(params, batch, cfg).mean()
