"""A llama decoder in plain PyTorch that reads and writes Hugging Face
llama directories (config.json, model.safetensors), as `spag model export
--hf` writes them and `spag model import --hf` reads them. No transformers:
the module follows the published LlamaForCausalLM architecture (RMSNorm,
rotary position embedding in the rotate_half layout, grouped-query
attention, SwiGLU feed-forward, untied or tied output head) and the
safetensors format is read and written with the standard library.

Used by examples/torch/train.py and by spag's tests (rl/hf/testdata), which
check its log-probabilities against spag's native model.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    """Returns {name: float32 tensor} of a safetensors file (F32 or BF16)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = bytearray(data[base + begin : base + end])
        if e["dtype"] == "F32":
            t = torch.frombuffer(raw, dtype=torch.float32) if raw else torch.zeros(0)
        elif e["dtype"] == "BF16":
            t = torch.frombuffer(raw, dtype=torch.bfloat16).float() if raw else torch.zeros(0)
        else:
            raise ValueError("%s: tensor %s is %s, want F32 or BF16" % (path, name, e["dtype"]))
        out[name] = t.reshape(e["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    """Writes {name: tensor} as F32 safetensors (header padded to 8 bytes)."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, self.nh = cfg["hidden_size"], cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads") or self.nh
        self.hd = d // self.nh
        self.q_proj = nn.Linear(d, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.nkv != self.nh:
            k = k.repeat_interleave(self.nh // self.nkv, dim=1)
            v = v.repeat_interleave(self.nh // self.nkv, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        return self.o_proj((att @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Body(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])


class Llama(nn.Module):
    """LlamaForCausalLM's parameters under transformers' names."""

    def __init__(self, cfg):
        super().__init__()
        if cfg.get("architectures") != ["LlamaForCausalLM"]:
            raise ValueError("architectures %r, want ['LlamaForCausalLM']" % cfg.get("architectures"))
        if cfg.get("rope_scaling") or cfg.get("attention_bias") or cfg.get("mlp_bias"):
            raise ValueError("rope_scaling and biases are not supported")
        self.cfg = cfg
        self.model = Body(cfg)
        self.tied = bool(cfg.get("tie_word_embeddings"))
        if not self.tied:
            self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        hd = cfg["hidden_size"] // cfg["num_attention_heads"]
        # Tables in float64, rounded to the activations' type when used, so
        # that long contexts keep the precision of spag's native tables.
        inv = cfg["rope_theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.outer(torch.arange(cfg["max_position_embeddings"], dtype=torch.float64), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", ang.cos(), persistent=False)
        self.register_buffer("sin", ang.sin(), persistent=False)

    def forward(self, tokens):
        """Logits (batch, length, vocab) of right-padded token ids."""
        T = tokens.shape[1]
        x = self.model.embed_tokens(tokens)
        cos, sin = self.cos[:T].to(x.dtype), self.sin[:T].to(x.dtype)
        mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).triu(1)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        x = self.model.norm(x)
        w = self.model.embed_tokens.weight if self.tied else self.lm_head.weight
        return x @ w.t()

    def token_logp(self, inputs, targets):
        """log p(targets[b, t] | inputs[b, :t+1]) for every position."""
        logp = self.forward(inputs).log_softmax(-1)
        return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def load(path):
    """Loads a Hugging Face llama directory in float32."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    m = Llama(cfg)
    weights = read_safetensors(os.path.join(path, "model.safetensors"))
    weights = {k: v for k, v in weights.items() if not k.endswith("rotary_emb.inv_freq")}
    if m.tied:
        weights.pop("lm_head.weight", None)
    m.load_state_dict(weights, strict=True)
    return m


def save(m, path, source=None):
    """Saves m as a Hugging Face directory; the tokenizer and generation
    files are copied from the directory source, which m was loaded from."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(m.cfg, f, indent=2)
    write_safetensors(os.path.join(path, "model.safetensors"), dict(m.state_dict()))
    if source:
        for name in ("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"):
            src = os.path.join(source, name)
            if os.path.exists(src):
                with open(src, "rb") as a, open(os.path.join(path, name), "wb") as b:
                    b.write(a.read())
