#!/usr/bin/python3
"""PyTorch CPU baseline for the training-throughput benchmark.

Same model and configuration as BenchmarkTrainStep in rl/train/bench_test.go
(llama architecture, width 256, 4 layers, 8 heads, ffn 688, vocabulary 2000,
context 256, batch 16), float32, forward + backward + AdamW update with
global-norm clipping. Prints training tokens/s and peak resident memory.

    /usr/bin/python3 rl/train/testdata/bench_torch.py --threads 2 --steps 5
"""
import argparse
import math
import resource
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--warmup", type=int, default=1)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

V, D, L, H, FF, T, B = 2000, 256, 4, 8, 688, 256, 16
DH = D // H


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.g = torch.nn.Parameter(torch.ones(D))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.g


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(), RMSNorm()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(D, D, bias=False) for _ in range(4))
        self.gate, self.up = torch.nn.Linear(D, FF, bias=False), torch.nn.Linear(D, FF, bias=False)
        self.down = torch.nn.Linear(FF, D, bias=False)

    def forward(self, x, cis, mask):
        h = self.n1(x)
        q, k, v = (m(h).view(B, T, H, DH) for m in (self.q, self.k, self.v))
        q, k = rope(q, cis), rope(k, cis)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(DH) + mask, dim=-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(B, T, D))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def rope(x, cis):
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], DH // 2, 2))
    return torch.view_as_real(xc * cis[None, :, None, :]).reshape(x.shape)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, D)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = RMSNorm()
        self.out = torch.nn.Linear(D, V, bias=False)

    def forward(self, tokens, targets):
        freqs = 10000.0 ** (-torch.arange(0, DH, 2).float() / DH)
        ang = torch.outer(torch.arange(T).float(), freqs)
        cis = torch.polar(torch.ones_like(ang), ang)
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.emb(tokens)
        for b in self.blocks:
            x = b(x, cis, mask)
        logp = torch.log_softmax(self.out(self.norm(x)).view(B * T, V), -1)
        return logp.gather(1, targets.view(-1, 1)).squeeze(1)


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.01)
tokens = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
n_params = sum(p.numel() for p in model.parameters())


def step():
    opt.zero_grad(set_to_none=True)
    loss = -model(tokens, targets).mean()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


for _ in range(args.warmup):
    step()
t0 = time.perf_counter()
for _ in range(args.steps):
    step()
dt = time.perf_counter() - t0
print(f"torch {torch.__version__} threads {args.threads} params {n_params} "
      f"tokens/s {B * T * args.steps / dt:.1f} sec/step {dt / args.steps:.3f} "
      f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
