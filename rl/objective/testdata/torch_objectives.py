#!/usr/bin/python3
"""Independent PyTorch reference for rl/objective (Debian python3-torch).

Computes each objective of rl-objectives.md with torch autograd in float64
on seeded random inputs and writes values and gradients to
objectives_golden.json:

    /usr/bin/python3 rl/objective/testdata/torch_objectives.py > rl/objective/testdata/objectives_golden.json
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(20240611)
torch.set_default_dtype(torch.float64)


def rand(n, lo, hi):
    return (torch.rand(n) * (hi - lo) + lo)


def sft_case(n, beta):
    l = rand(n, -3, -0.2).requires_grad_(True)
    r = (l.detach() + rand(n, -0.6, 0.6))
    w = rand(n, 0.2, 2)
    loss = (w * (-l + beta * torch.exp(l) * (l - r))).mean()
    loss.backward()
    return dict(l=l.tolist(), ref=r.tolist(), weight=w.tolist(), beta=beta, loss=loss.item(), grad=l.grad.tolist())


def spag_case(n, sft_mask, beta, eps, alpha):
    l = rand(n, -3, -0.2).requires_grad_(True)
    r = (l.detach() + rand(n, -0.6, 0.6))   # ratios both inside and outside the clip range
    R = rand(n, -1, 1)
    w = rand(n, 0.2, 2)
    sft = torch.tensor(sft_mask, dtype=torch.bool)
    game = ~sft
    kl = l - r
    ratio = torch.exp(kl)
    adv = R - beta * kl
    pg = -torch.min(adv * ratio, adv * torch.clamp(ratio, 1 - eps, 1 + eps))
    n_game, n_sft = int(game.sum()), int(sft.sum())
    l_game = (w * pg)[game].sum() / n_game if n_game else torch.zeros(())
    l_sft = (w * -l)[sft].sum() / n_sft if n_sft else torch.zeros(())
    loss = alpha * l_sft + l_game
    loss.backward()
    outside = ((ratio < 1 - eps) | (ratio > 1 + eps))[game].double()
    return dict(l=l.tolist(), ref=r.tolist(), reward=R.tolist(), weight=w.tolist(), sft=sft_mask,
                beta=beta, eps=eps, alpha=alpha, loss=loss.item(), grad=l.grad.tolist(),
                clip_frac=outside.mean().item() if n_game else 0.0)


def var_case(groups, lam):
    n = len(groups)
    l = rand(n, -3, -0.2).requires_grad_(True)
    r = rand(n, -3, -0.2)
    R = rand(n, -1, 1)
    a = r + R / lam
    loss = torch.zeros(())
    keys = sorted(set(groups), key=groups.index)
    for g in keys:
        idx = torch.tensor([i for i, x in enumerate(groups) if x == g])
        v = torch.softmax(a[idx], dim=0)
        loss = loss - (v * l[idx]).sum() / len(keys)
    loss.backward()
    return dict(l=l.tolist(), ref=r.tolist(), reward=R.tolist(), group=groups, lam=lam, loss=loss.item(), grad=l.grad.tolist())


def apo_case(prefs, adversarial, gamma, mu, m):
    scores = [rand(len(p), -2, 2).requires_grad_(True) for p in prefs]
    terms = []
    for p, s, adv in zip(prefs, scores, adversarial):
        p = torch.tensor(p, dtype=torch.float64)
        valid = p >= 0
        pair = (p[:, None] > p[None, :]) & valid[:, None] & valid[None, :]
        diff = s[:, None] - s[None, :]
        terms.append(((-F.logsigmoid(diff)) * pair).sum() * (mu / m if adv else gamma))
        terms.append(pair.sum())
    n_pairs = sum(terms[1::2])
    loss = sum(terms[0::2]) / n_pairs
    loss.backward()
    return dict(prefs=prefs, adversarial=adversarial, gamma=gamma, mu=mu, m=m,
                scores=[s.tolist() for s in scores], loss=loss.item(), grad=[s.grad.tolist() for s in scores])


def zerosum_case(n, sft_mask, beta, eps, alpha):
    """The zero-sum objective: PPO clip against the policy that played,
    k3 KL to the reference as a separate penalty, advantages as rewards."""
    l = rand(n, -3, -0.2).requires_grad_(True)
    old = (l.detach() + rand(n, -0.6, 0.6))   # ratios inside and outside the clip range
    r = (l.detach() + rand(n, -0.8, 0.8))
    A = rand(n, -1.5, 1.5)
    w = rand(n, 0.2, 2)
    sft = torch.tensor(sft_mask, dtype=torch.bool)
    game = ~sft
    ratio = torch.exp(l - old)
    pg = -torch.min(A * ratio, A * torch.clamp(ratio, 1 - eps, 1 + eps))
    k3 = torch.exp(r - l) - (r - l) - 1
    n_game, n_sft = int(game.sum()), int(sft.sum())
    l_game = ((w * pg)[game].sum() + beta * k3[game].sum()) / n_game if n_game else torch.zeros(())
    l_sft = (w * -l)[sft].sum() / n_sft if n_sft else torch.zeros(())
    loss = l_game + alpha * l_sft
    loss.backward()
    outside = ((ratio < 1 - eps) | (ratio > 1 + eps))[game].double()
    return dict(l=l.tolist(), old=old.tolist(), ref=r.tolist(), reward=A.tolist(), weight=w.tolist(), sft=sft_mask,
                beta=beta, eps=eps, alpha=alpha, loss=loss.item(), grad=l.grad.tolist(),
                clip_frac=outside.mean().item() if n_game else 0.0)


out = dict(
    torch_version=torch.__version__,
    sft=[sft_case(8, 0.1), sft_case(5, 0.5)],
    spag=[spag_case(10, [False, True] * 5, 0.2, 0.2, 0.5),
          spag_case(6, [False] * 6, 0.2, 0.2, 0.5),
          spag_case(4, [True] * 4, 0.3, 0.1, 0.7),
          spag_case(12, [False] * 9 + [True] * 3, 0.0, 0.2, 0.5)],
    var=[var_case(["a", "a", "b", "a", "c", "b", "c"], 0.5), var_case(["q"] * 5, 2.0)],
    apo=[apo_case([[2, 1, 0, -1], [1, 0], [3, 0, 0, 0, 0]], [False, False, True], 1.0, 0.1, 4),
         apo_case([[1, 0, 0, 0, 0], [0, 2, 1]], [True, False], 0.5, 0.3, 4)],
    # After the others, so that their seeded inputs stay those of the
    # golden file they were first written to.
    zerosum=[zerosum_case(12, [False, True] * 6, 0.1, 0.2, 0.5),
             zerosum_case(8, [False] * 8, 0.1, 0.2, 0.5),
             zerosum_case(5, [True] * 5, 0.3, 0.1, 0.7),
             zerosum_case(10, [False] * 7 + [True] * 3, 0.0, 0.3, 0.5),
             zerosum_case(9, [False] * 9, 1.0, 0.1, 0.0)],
)
print(json.dumps(out, indent=1))
