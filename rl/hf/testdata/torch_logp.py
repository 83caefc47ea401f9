#!/usr/bin/python3
"""Scores token sequences with an exported Hugging Face llama directory in
plain PyTorch (examples/torch/hfllama.py, float32) and, with --spm, encodes
texts with the directory's tokenizer.model through the sentencepiece
library. rl/hf's tests run it (with Debian's python3-torch and
python3-sentencepiece) and compare with spag's native model and tokenizer.

    torch_logp.py DIR < {"sequences": [[1, 5, 9], ...], "texts": ["..."]}

prints {"logp": [[log p(seq[t+1] | seq[:t+1]) ...], ...], "logp64": ...,
"ids": [[...], ...]}: logp in float32, logp64 the same module in float64.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "examples", "torch"))
import hfllama  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(1)
job = json.load(sys.stdin)
out = {"logp": [], "ids": []}
if job.get("sequences"):
    m = hfllama.load(sys.argv[1])
    m.eval()
    with torch.no_grad():
        for key, mm in (("logp", m), ("logp64", hfllama.load(sys.argv[1]).double())):
            out[key] = []
            for seq in job["sequences"]:
                t = torch.tensor([seq])
                out[key].append(mm.token_logp(t[:, :-1], t[:, 1:])[0].tolist())
if job.get("texts"):
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=os.path.join(sys.argv[1], "tokenizer.model"))
    out["ids"] = sp.encode(job["texts"])
json.dump(out, sys.stdout)
