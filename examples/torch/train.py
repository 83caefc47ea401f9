#!/usr/bin/python3
"""An external trainer for spag in plain PyTorch (no transformers, no TRL),
under the exec:CMD contract of docs/trainer.md:

    spag train --trainer "exec:python3 examples/torch/train.py --nproc 2" ...
    spag iterate --trainer "exec:python3 examples/torch/train.py" ...

It reads the job (SPAG_JOB, with every setting of the native trainer),
loads the init and reference policies from the Hugging Face directories
spag exports for it (SPAG_INIT_HF, SPAG_REF_HF) into the llama module of
hfllama.py, tokenizes the data with the directory's tokenizer.model
(sentencepiece encodes as spag does), trains the objective the job names
and saves the new policy as a Hugging Face directory (SPAG_OUT_HF), which
it names in the result file as hf:DIR; spag imports it and the next round
plays it in process.

Objectives: sft (imitation with the KL penalty), spag (the clipped
off-policy objective with the imitation term) and zerosum, each as spag's
native trainer computes it: a sample's score l_i is the mean log-probability
of its response tokens (with </s>), and the loss and its coefficients are
those of rl/objective. The optimizer is the native one too (AdamW with
decay on matrices only, the global gradient-norm cap, linear warm-up and
cosine decay), so that a step from the same batch takes the same update.

Workers: with --nproc N (N > 1) it starts N processes itself
(torch.multiprocessing.spawn) and trains with DistributedDataParallel over
gloo on the CPU, or nccl when CUDA is there; under an external launcher
(torchrun on a GPU box) it takes RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT from the environment. Each step's global batch (SPAG_BATCH_SIZE
samples) is split across the workers, so N workers take the same steps as
one.

Resuming: it saves its state (weights, optimizer, step) to
SPAG_OUT_HF.state.pt every --save-every seconds and on SIGTERM, and
continues from it when spag runs the job again with SPAG_RESUME=1.
"""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hfllama  # noqa: E402

BOS, EOS = 1, 2
# DEVICE[0] is where a worker computes: its GPU under CUDA (LOCAL_RANK's,
# as torchrun sets it), else the CPU.
DEVICE = [torch.device("cpu")]
OBJECTIVES = ("sft", "spag", "zerosum")


def fail(msg):
    print("train.py: " + msg, file=sys.stderr)
    sys.exit(1)


def read_job():
    path = os.environ.get("SPAG_JOB")
    if not path:
        fail("SPAG_JOB is not set: run me as spag's exec trainer (docs/trainer.md)")
    with open(path) as f:
        job = json.load(f)
    if job["objective"] not in OBJECTIVES:
        fail("objective %r: this trainer implements %s" % (job["objective"], ", ".join(OBJECTIVES)))
    env_or = lambda k, v: os.environ.get(k) or v  # noqa: E731
    job["init_hf"] = env_or("SPAG_INIT_HF", job["init"].get("hf"))
    job["ref_hf"] = env_or("SPAG_REF_HF", job["ref"].get("hf")) or job["init_hf"]
    job["out_hf"] = env_or("SPAG_OUT_HF", job["out"].get("hf"))
    if not job["init_hf"] or not job["out_hf"]:
        fail("no Hugging Face init policy or output (SPAG_INIT_HF, SPAG_OUT_HF): spag exports them for exec trainers")
    return job


def read_data(path):
    """SPAG training JSON (docs/trainer.md): query, target, reward (default
    1), weight (default 1), type "sft" for imitation items."""
    with open(path) as f:
        text = f.read().strip()
    items = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
    out = []
    for it in items:
        q = it.get("query", it.get("prompt"))
        t = it.get("target", it.get("answer"))
        out.append(dict(query=q, target=t, reward=float(it.get("reward", 1)), weight=float(it.get("weight", 1)),
                        sft=it.get("type") == "sft"))
    return out


def scoring_sequence(sp, query, target, context):
    """[BOS] query target [EOS] within context tokens, as spag lays it out
    (tokenizer.Vocab.ScoringSequence): too long, the query loses tokens at
    the front, then the response is cut at the end. Returns the tokens and
    the index of the first response token."""
    q = sp.encode(query) if query else []
    y = (sp.encode(target) if target else []) + [EOS]
    y = y[:context]
    keep = context - len(y)
    if len(q) > keep:
        q = q[len(q) - keep:]
    return [BOS] + q + y, 1 + len(q)


def sample_scores(forward, seqs, idx, micro):
    """Mean response log-probability l_i of the samples idx, in
    micro-batches of right-padded rows; yields (positions, l) per
    micro-batch with l differentiable. forward maps token ids to logits:
    the module, or its DistributedDataParallel wrapper (whose forward must
    run for the gradients to be all-reduced)."""
    for k in range(0, len(idx), micro):
        part = idx[k:k + micro]
        T = max(len(seqs[i][0]) - 1 for i in part)
        inp = torch.zeros(len(part), T, dtype=torch.long)
        tgt = torch.zeros(len(part), T, dtype=torch.long)
        mask = torch.zeros(len(part), T)
        for r, i in enumerate(part):
            toks, start = seqs[i]
            n = len(toks) - 1
            inp[r, :n] = torch.tensor(toks[:-1])
            tgt[r, :n] = torch.tensor(toks[1:])
            mask[r, start - 1:n] = 1
        dev = DEVICE[0]
        inp, tgt, mask = inp.to(dev), tgt.to(dev), mask.to(dev)
        lp = forward(inp).log_softmax(-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        yield part, (lp * mask).sum(-1) / mask.sum(-1)


def coeffs(cfg, name):
    """The objective's coefficients from the job's config ("spag" is
    written with Go's field names Beta/Eps/Alpha, "zerosum" in lower case)."""
    p = cfg.get(name) or {}
    return {k: p.get(k, p.get(k.capitalize())) for k in ("beta", "eps", "alpha")}


def objective_terms(name, cfg, l, s, n_game, n_sft, n_all):
    """Per-sample loss terms of rl/objective, normalised by the counts of
    the whole global batch so that terms from several workers add up to
    the native loss."""
    terms = []
    for li, x in zip(l, s):
        if name == "sft":
            kl = li - x["ref"]
            terms.append(x["weight"] * (-li + cfg["sft_beta"] * torch.exp(li) * kl) / n_all)
        elif x["sft"]:
            terms.append(coeffs(cfg, name)["alpha"] * x["weight"] * -li / n_sft)
        elif name == "spag":
            p = coeffs(cfg, "spag")
            kl = li - x["ref"]
            ratio = torch.exp(kl)
            adv = x["reward"] - p["beta"] * kl
            obj = torch.min(adv * ratio, adv * ratio.clamp(1 - p["eps"], 1 + p["eps"]))
            terms.append(x["weight"] * -obj / n_game)
        else:  # zerosum
            p = coeffs(cfg, "zerosum")
            ratio = torch.exp(li - x["old"])
            adv = x["reward"]
            obj = torch.min(adv * ratio, adv * ratio.clamp(1 - p["eps"], 1 + p["eps"]))
            d = x["ref"] - li
            terms.append((x["weight"] * -obj + p["beta"] * (torch.exp(d) - d - 1)) / n_game)
    return terms


def lr_at(cfg, step, total):
    warm = math.ceil(cfg["warmup_frac"] * total)
    if step < warm:
        return cfg["lr"] * (step + 1) / warm
    span = total - 1 - warm
    if span <= 0:
        return cfg["lr"]
    prog = min(1.0, (step - warm) / span)
    return cfg["min_lr"] + (cfg["lr"] - cfg["min_lr"]) * 0.5 * (1 + math.cos(math.pi * prog))


def batches(n, batch, seed):
    """The data order: a permutation per epoch from a seeded generator,
    global batches of `batch` samples (every worker computes the same)."""
    g = torch.Generator().manual_seed(seed)
    order, cur = [], 0
    while True:
        b = []
        for _ in range(min(batch, n)):
            if cur == len(order):
                order, cur = torch.randperm(n, generator=g).tolist(), 0
            b.append(order[cur])
            cur += 1
        yield b


def stop_with_parent():
    """Asks Linux for SIGTERM when the parent process dies (prctl
    PR_SET_PDEATHSIG), so that a trainer whose spag was killed stops,
    saving its state, instead of racing the resumed run's trainer. The
    parent must be spag itself: start the trainer as
    exec:exec python3 ... (sh would otherwise stay between them)."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request
        sys.exit(143)


def worker(rank, world, job, args):
    stop_with_parent()
    torch.set_num_threads(args.threads)
    if torch.cuda.is_available():
        DEVICE[0] = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        torch.cuda.set_device(DEVICE[0])
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if world > 1:
        dist.init_process_group(backend, rank=rank, world_size=world)
    if rank == 0:  # in the log, so that a GPU run shows it is one
        print("train.py: %d worker(s)%s, rank 0 on %s" % (world, ", " + backend if world > 1 else "", DEVICE[0]), flush=True)
    cfg, name = job["config"], job["objective"]
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=os.path.join(job["init_hf"], "tokenizer.model"))
    model = hfllama.load(job["init_hf"]).to(DEVICE[0])
    context = model.cfg["max_position_embeddings"]
    data = read_data(job["data"])
    seqs = [scoring_sequence(sp, d["query"], d["target"], context) for d in data]
    every = list(range(len(data)))
    micro = max(1, cfg.get("micro_batch") or 4)
    with torch.no_grad():
        if name in OBJECTIVES:
            ref = model if job["ref_hf"] == job["init_hf"] else hfllama.load(job["ref_hf"]).to(DEVICE[0])
            for part, l in sample_scores(ref, seqs, every, micro):
                for i, v in zip(part, l.tolist()):
                    data[i]["ref"] = v
                    data[i]["old"] = v  # the init policy played: l^old of zerosum
        if name == "zerosum" and job["ref_hf"] != job["init_hf"]:
            for part, l in sample_scores(model, seqs, every, micro):
                for i, v in zip(part, l.tolist()):
                    data[i]["old"] = v

    if min(cfg["batch_size"], len(data)) < world:
        fail("batch of %d samples for %d workers: every worker needs one" % (min(cfg["batch_size"], len(data)), world))
    steps = cfg["steps"] or max(1, math.ceil(job.get("epochs", 0) * len(data) / cfg["batch_size"]))
    decay = [p for p in model.parameters() if p.dim() == 2]
    plain = [p for p in model.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": plain, "weight_decay": 0.0}],
                            lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=1e-8)
    state_path = job["out_hf"].rstrip("/") + ".state.pt"
    step = 0
    if job.get("resume") and os.path.exists(state_path):
        st = torch.load(state_path, map_location=DEVICE[0])
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step = st["step"]
        print("resumed at step %d from %s" % (step, state_path), flush=True)
    if world > 1:
        ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=[DEVICE[0]] if DEVICE[0].type == "cuda" else None)
    else:
        ddp = model

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    def save_state():
        if rank == 0:
            tmp = "%s.tmp-%d" % (state_path, os.getpid())
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, tmp)
            os.replace(tmp, state_path)

    order = batches(len(data), cfg["batch_size"], cfg["seed"])
    for _ in range(step):
        next(order)
    metrics, last_save, tokens, t0 = {}, time.time(), 0, time.time()
    while step < steps:
        batch = next(order)
        n_sft = sum(1 for i in batch if data[i]["sft"])
        n_game, n_all = len(batch) - n_sft, len(batch)
        mine = batch[rank::world]
        # Every worker counts the whole global batch's positions, as the
        # native trainer counts them, so that rank 0's rate is the run's.
        tokens += sum(len(seqs[i][0]) - 1 for i in batch)
        opt.zero_grad(set_to_none=False)
        total = torch.zeros((), device=DEVICE[0])
        parts = list(range(0, len(mine), micro))
        for k, start in enumerate(parts):
            idx = mine[start:start + micro]
            sync = k == len(parts) - 1
            ctx = ddp.no_sync() if (world > 1 and not sync) else _null()
            with ctx:
                ((_, l),) = list(sample_scores(ddp, seqs, idx, len(idx)))
                terms = objective_terms(name, cfg, l, [data[i] for i in idx], n_game, n_sft, n_all)
                loss = torch.stack(terms).sum()
                # DDP averages gradients over workers; the terms are
                # already normalised by the global batch, so scale back up.
                (loss * world).backward()
                total = total + loss.detach()
        if world > 1:
            dist.all_reduce(total)
        norm = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in model.parameters()))
        if cfg["clip_norm"] > 0 and norm > cfg["clip_norm"]:
            for p in model.parameters():
                p.grad.mul_(cfg["clip_norm"] / norm)
        lr = lr_at(cfg, step, steps)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        step += 1
        metrics = {"loss": float(total), "grad_norm": norm, "lr": lr}
        if rank == 0:
            print(json.dumps(dict(step=step, **metrics)), flush=True)
        stopping = torch.tensor(float(len(stop)), device=DEVICE[0])
        if world > 1:  # every worker stops after the same step
            dist.all_reduce(stopping, op=dist.ReduceOp.MAX)
        if stopping > 0:
            save_state()
            print("stopped at step %d; state saved to %s" % (step, state_path), flush=True)
            sys.exit(143)
        if args.save_every > 0 and time.time() - last_save > args.save_every and step < steps:
            save_state()
            last_save = time.time()
    if rank == 0:
        elapsed = time.time() - t0
        metrics["tokens_per_sec"] = tokens / elapsed if elapsed > 0 else 0.0
        # Write beside the output and rename, under names of this process
        # alone, so that a reader never sees half a model.
        out = job["out_hf"].rstrip("/")
        tmp = "%s.tmp-%d" % (out, os.getpid())
        hfllama.save(model, tmp, source=job["init_hf"])
        if os.path.exists(out):
            shutil.rmtree(out)
        os.replace(tmp, out)
        res = job["result"]
        with open("%s.tmp-%d" % (res, os.getpid()), "w") as f:
            json.dump({"policy": "hf:" + out, "metrics": metrics, "steps": step}, f)
        os.replace("%s.tmp-%d" % (res, os.getpid()), res)
        if os.path.exists(state_path):
            os.remove(state_path)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def spawned(rank, world, job, args):
    worker(rank, world, job, args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nproc", type=int, default=1, help="worker processes to start (DistributedDataParallel); ignored under a launcher that sets WORLD_SIZE")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    ap.add_argument("--save-every", type=float, default=60, help="seconds between saved training states (0: only on SIGTERM)")
    args = ap.parse_args()
    stop_with_parent()
    job = read_job()
    torch.manual_seed(job["config"]["seed"])
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1:
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), job, args)
    elif args.nproc > 1:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
        mp.spawn(spawned, args=(args.nproc, job, args), nprocs=args.nproc, join=True)
    else:
        worker(0, 1, job, args)


if __name__ == "__main__":
    main()
