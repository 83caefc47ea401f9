#!/usr/bin/python3
"""Independent PyTorch reference for rl/model (run with Debian's python3-torch).

Builds a llama-architecture decoder in float64 in the style of Meta's
reference implementation (complex rotary embedding on interleaved pairs,
repeat_interleave for grouped-query heads, torch.log_softmax), with weights
from a fixed formula, and writes the per-token target log-probabilities and
the gradients of sum_i coef_i * logp_i to model_golden.json.

    /usr/bin/python3 rl/model/testdata/torch_model.py > rl/model/testdata/model_golden.json

With --length N it scores two sequences of N tokens from a fixed formula
instead (the context grows to N), for sequences longer than the Go
attention kernel's row blocks:

    /usr/bin/python3 rl/model/testdata/torch_model.py --length 70 > rl/model/testdata/model_golden_long.json

With --score the model has a scalar head (score_head.weight, score_head.bias)
applied to the final-normed hidden state of each sequence's last token
(sequence b has lengths[b] tokens, the rest is right padding), and the
golden holds the scores and the gradients of sum_b coef_b * score_b:

    /usr/bin/python3 rl/model/testdata/torch_model.py --score > rl/model/testdata/model_golden_score.json
"""
import argparse
import json
import math

import torch

torch.set_default_dtype(torch.float64)

ap = argparse.ArgumentParser()
ap.add_argument("--length", type=int, default=0)
ap.add_argument("--score", action="store_true")
args = ap.parse_args()

cfg = dict(vocab=11, dim=8, layers=2, heads=4, kv_heads=2, ffn=12, context=8, norm_eps=1e-5, rope_theta=10000.0)
B, T = 2, 5
inputs = [1, 5, 3, 9, 2, 1, 7, 7, 4, 0]
targets = [5, 3, 9, 2, 0, 7, 7, 4, 10, 0]
coef = [0.5, -1, 2, 0.25, 0, 1, -0.5, 1.5, 0.75, 0]
if args.length:
    T = cfg["context"] = args.length
    inputs = [(7 * i + 3) % cfg["vocab"] for i in range(B * T)]
    targets = [(5 * i + 1) % cfg["vocab"] for i in range(B * T)]
    coef = [round(math.sin(0.37 * i), 6) for i in range(B * T)]
lengths = None
if args.score:
    cfg["score_head"] = True
    lengths = [5, 3]
    coef = [0.75, -1.25]


def specs():
    d, kv = cfg["dim"], cfg["kv_heads"] * cfg["dim"] // cfg["heads"]
    out = [("token_embd.weight", [cfg["vocab"], d])]
    for l in range(cfg["layers"]):
        p = f"blk.{l}."
        out += [(p + "attn_norm.weight", [d]), (p + "attn_q.weight", [d, d]), (p + "attn_k.weight", [d, kv]),
                (p + "attn_v.weight", [d, kv]), (p + "attn_output.weight", [d, d]), (p + "ffn_norm.weight", [d]),
                (p + "ffn_gate.weight", [d, cfg["ffn"]]), (p + "ffn_up.weight", [d, cfg["ffn"]]),
                (p + "ffn_down.weight", [cfg["ffn"], d])]
    out += [("output_norm.weight", [d]), ("output.weight", [d, cfg["vocab"]])]
    if cfg.get("score_head"):
        out += [("score_head.weight", [d]), ("score_head.bias", [1])]
    return out


params = {}
for k, (name, shape) in enumerate(specs()):
    n = math.prod(shape)
    if len(shape) == 1:
        vals = [1 + 0.1 * math.sin(i) for i in range(n)]
    else:
        vals = [0.5 * math.sin(1.7 * i + 0.3 * k + 1) for i in range(n)]
    params[name] = torch.tensor(vals).reshape(shape).requires_grad_(True)


def rmsnorm(x, g):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + cfg["norm_eps"]) * g


def rotary(x, n_heads):  # x: (B, T, H, Dh), interleaved pairs as complex numbers
    dh = x.shape[-1]
    freqs = cfg["rope_theta"] ** (-torch.arange(0, dh, 2).double() / dh)
    angles = torch.outer(torch.arange(T).double(), freqs)
    cis = torch.polar(torch.ones_like(angles), angles)  # (T, Dh/2)
    xc = torch.view_as_complex(x.reshape(*x.shape[:-1], dh // 2, 2).contiguous())
    return torch.view_as_real(xc * cis[None, :, None, :]).reshape(x.shape)


def forward():
    H, KV, D = cfg["heads"], cfg["kv_heads"], cfg["dim"]
    dh = D // H
    x = params["token_embd.weight"][torch.tensor(inputs)].reshape(B, T, D)
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(cfg["layers"]):
        p = lambda s: params[f"blk.{l}.{s}.weight"]
        h = rmsnorm(x, p("attn_norm"))
        q = rotary((h @ p("attn_q")).view(B, T, H, dh), H)
        k = rotary((h @ p("attn_k")).view(B, T, KV, dh), KV)
        v = (h @ p("attn_v")).view(B, T, KV, dh)
        k = k.repeat_interleave(H // KV, dim=2)
        v = v.repeat_interleave(H // KV, dim=2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + o @ p("attn_output")
        h = rmsnorm(x, p("ffn_norm"))
        x = x + (torch.nn.functional.silu(h @ p("ffn_gate")) * (h @ p("ffn_up"))) @ p("ffn_down")
    h = rmsnorm(x, params["output_norm.weight"])
    if lengths:
        last = torch.stack([h[b, lengths[b] - 1] for b in range(B)])
        return last @ params["score_head.weight"] + params["score_head.bias"]
    logits = h @ params["output.weight"]
    logp = torch.log_softmax(logits.reshape(B * T, -1), dim=-1)
    return logp.gather(1, torch.tensor(targets)[:, None]).squeeze(1)


logp = forward()
loss = (logp * torch.tensor(coef)).sum()
loss.backward()
print(json.dumps({
    "config": cfg, "batch": B, "length": T, "inputs": inputs, "targets": targets, "coef": coef,
    "params": {n: params[n].detach().flatten().tolist() for n, _ in specs()},
    "logp": logp.detach().tolist(), "loss": loss.item(),
    "grads": {n: (params[n].grad if params[n].grad is not None else torch.zeros_like(params[n])).flatten().tolist() for n, _ in specs()},
    **({"lengths": lengths} if lengths else {}),
    "torch_version": torch.__version__,
}, indent=1))
