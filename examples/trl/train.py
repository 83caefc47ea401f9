#!/usr/bin/env python3
"""A TRL/transformers trainer behind spag's exec: contract (docs/trainer.md).

UNTESTED HERE: the spag project has no GPU or TRL to run it on. See README.md.
"""
import json
import math
import os
import shutil
import subprocess
import sys


def env(name, default=""):
    return os.environ.get(name, default)


def fail(msg):
    # spag quotes the end of stderr in its error message.
    print("trl example: " + msg, file=sys.stderr)
    sys.exit(1)


def hf_dir(path):
    """The Hugging Face directory saved next to a round's output file."""
    return os.path.splitext(path)[0] + ".hf"


def policy_model():
    """The model to start from: TRL_BASE_MODEL when set, else the Hugging
    Face directory spag exports of the init policy (SPAG_INIT_HF), else the
    previous round's directory beside its GGUF file."""
    if env("TRL_BASE_MODEL"):
        return env("TRL_BASE_MODEL")
    if env("SPAG_INIT_HF"):
        return env("SPAG_INIT_HF")
    init = env("SPAG_INIT_GGUF")
    if init and os.path.isdir(hf_dir(init)):
        return hf_dir(init)
    base = env("TRL_BASE_MODEL")
    if not base:
        fail("set TRL_BASE_MODEL to a Hugging Face model id or directory for the first round")
    return base


def load_spag_json(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def train_sft(model_name, out_dir):
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    chat = env("SPAG_CHAT")
    if not chat:
        fail("no chat JSONL (SPAG_CHAT is empty); export it with spag rewards --format chat")
    data = load_dataset("json", data_files=chat, split="train")
    data = data.select_columns(["messages"])
    cfg = SFTConfig(
        output_dir=out_dir,
        learning_rate=float(env("SPAG_LR", "5e-6")),
        per_device_train_batch_size=int(env("SPAG_BATCH_SIZE", "8")),
        num_train_epochs=float(env("SPAG_EPOCHS", "0")) or 1.0,
        max_steps=int(env("SPAG_STEPS", "0")) or -1,
        seed=int(env("SPAG_SEED", "1")),
        lr_scheduler_type="cosine",
        warmup_ratio=0.03,
        assistant_only_loss=True,
        save_strategy="no",
        report_to=[],
    )
    trainer = SFTTrainer(model=model_name, args=cfg, train_dataset=data)
    trainer.train()
    trainer.save_model(out_dir)
    trainer.processing_class.save_pretrained(out_dir)
    return trainer.state.log_history


def train_spag(model_name, out_dir):
    import torch
    from torch.utils.data import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    beta = float(env("SPAG_BETA", "0.2"))
    eps = float(env("SPAG_CLIP_RANGE", "0.2"))
    alpha = float(env("SPAG_SFT_COEFF", "0.5"))
    tok = AutoTokenizer.from_pretrained(model_name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    policy = AutoModelForCausalLM.from_pretrained(model_name, torch_dtype=torch.bfloat16)
    ref = AutoModelForCausalLM.from_pretrained(env("TRL_REF_MODEL") or model_name, torch_dtype=torch.bfloat16)
    ref.requires_grad_(False)
    ref.eval()

    class Samples(Dataset):
        """Query tokens, then target tokens and EOS; labels only on the target."""

        def __init__(self, items, max_len=2048):
            self.rows = []
            for it in items:
                q = tok(it.get("query", it.get("prompt", "")), add_special_tokens=True)["input_ids"]
                y = tok(it.get("target", it.get("answer", "")), add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
                q = q[-max(0, max_len - len(y)):]  # drop the query's start first, as spag does
                ids = (q + y)[:max_len]
                labels = ([-100] * len(q) + y)[:max_len]
                self.rows.append({
                    "input_ids": ids, "labels": labels,
                    "reward": float(it.get("reward", 1.0)), "weight": float(it.get("weight", 1.0)),
                    "is_sft": it.get("type") == "sft",
                })

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return self.rows[i]

    def collate(rows):
        n = max(len(r["input_ids"]) for r in rows)
        pad = lambda xs, v: [x + [v] * (n - len(x)) for x in xs]  # right padding
        return {
            "input_ids": torch.tensor(pad([r["input_ids"] for r in rows], tok.pad_token_id)),
            "attention_mask": torch.tensor(pad([[1] * len(r["input_ids"]) for r in rows], 0)),
            "labels": torch.tensor(pad([r["labels"] for r in rows], -100)),
            "reward": torch.tensor([r["reward"] for r in rows]),
            "weight": torch.tensor([r["weight"] for r in rows]),
            "is_sft": torch.tensor([r["is_sft"] for r in rows]),
        }

    def mean_logprob(model, batch):
        """Each row's mean log-likelihood of its target tokens."""
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1].float()
        labels = batch["labels"][:, 1:]
        mask = labels != -100
        lp = torch.log_softmax(logits, dim=-1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        return (lp * mask).sum(-1) / mask.sum(-1).clamp(min=1)

    class SPAGTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            reward, weight, is_sft = inputs.pop("reward"), inputs.pop("weight"), inputs.pop("is_sft")
            l = mean_logprob(model, inputs)
            with torch.no_grad():
                ref.to(l.device)
                r = mean_logprob(ref, inputs)
            game = ~is_sft
            kl = l - r  # the gradient flows through the KL term of the advantage too
            ratio = torch.exp(l - r)
            adv = reward - beta * kl
            pg = -torch.min(adv * ratio, adv * ratio.clamp(1 - eps, 1 + eps))
            n_game, n_sft = game.sum(), is_sft.sum()
            loss_game = (weight * pg * game).sum() / n_game if n_game > 0 else l.sum() * 0
            loss_sft = (weight * -l * is_sft).sum() / n_sft if n_sft > 0 else l.sum() * 0
            return alpha * loss_sft + loss_game

    args = TrainingArguments(
        output_dir=out_dir,
        learning_rate=float(env("SPAG_LR", "2e-6")),
        per_device_train_batch_size=int(env("SPAG_BATCH_SIZE", "8")),
        num_train_epochs=float(env("SPAG_EPOCHS", "0")) or 1.0,
        max_steps=int(env("SPAG_STEPS", "0")) or -1,
        seed=int(env("SPAG_SEED", "1")),
        lr_scheduler_type="cosine",
        warmup_ratio=0.03,
        bf16=torch.cuda.is_available(),
        remove_unused_columns=False,
        save_strategy="no",
        report_to=[],
    )
    trainer = SPAGTrainer(model=policy, args=args, train_dataset=Samples(load_spag_json(env("SPAG_DATA"))), data_collator=collate)
    trainer.train()
    trainer.save_model(out_dir)
    tok.save_pretrained(out_dir)
    return trainer.state.log_history


def hand_back(out_dir, history):
    """Name the directory (hf:DIR: spag imports a llama model with its
    vocabulary and plays it in process), and with LLAMA_CPP convert it to
    GGUF and register it with Ollama too, and write spag's result file."""
    gguf = env("SPAG_OUT_GGUF")
    llama_cpp = env("LLAMA_CPP")
    if not llama_cpp:
        last = [h for h in history if "loss" in h]
        with open(env("SPAG_RESULT"), "w") as f:
            json.dump({"policy": "hf:" + out_dir, "metrics": {"loss": last[-1]["loss"]} if last else {}}, f)
        return
    subprocess.run([sys.executable, os.path.join(llama_cpp, "convert_hf_to_gguf.py"), out_dir, "--outfile", gguf], check=True)
    # Both forms: the next round finds the HF directory beside the GGUF
    # (SPAG_INIT_GGUF) and plays the Ollama model.
    policy = ["gguf:" + gguf]
    name = env("SPAG_OUT_OLLAMA")
    if name and shutil.which("ollama"):
        modelfile = os.path.splitext(gguf)[0] + ".Modelfile"
        with open(modelfile, "w") as f:
            f.write("FROM %s\n" % gguf)
        subprocess.run(["ollama", "create", name, "-f", modelfile], check=True)
        policy.append("ollama:" + name)
    last = [h for h in history if "loss" in h]
    metrics = {"loss": last[-1]["loss"]} if last else {}
    steps = max([h.get("step", 0) for h in history] or [0])
    with open(env("SPAG_RESULT"), "w") as f:
        json.dump({"policy": policy, "metrics": metrics, "steps": steps}, f)


def main():
    objective = env("SPAG_OBJECTIVE")
    if env("SPAG_RESUME") == "1":
        fail("resuming is not implemented in this example; start a new run (spag train --init)")
    model_name = policy_model()
    out_dir = env("SPAG_OUT_HF") or hf_dir(env("SPAG_OUT_GGUF"))
    if objective == "sft":
        history = train_sft(model_name, out_dir)
    elif objective == "spag":
        history = train_spag(model_name, out_dir)
    else:
        fail("objective %r is not implemented in this example (sft and spag are)" % objective)
    if any(math.isnan(h.get("loss", 0.0)) for h in history):
        fail("the loss became NaN; lower SPAG_LR")
    hand_back(out_dir, history)


if __name__ == "__main__":
    main()
