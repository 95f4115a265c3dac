#!/usr/bin/python3
"""The benchmark peer: the same model and training step in plain PyTorch (Python).

One-hot(256) -> nn.LSTM(H, L layers, dropout between layers) -> Dropout -> Linear(256),
B contiguous streams with the state carried (detached) across batches, Adam, gradient-norm
clipping, the last --val-frac of the corpus for validation. This is what a user would write
without charrnn; charrnn is measured against it on the same machine, in the same run.

  peer_pytorch.py train --data FILE --time-limit 600      # quality: val nats/byte after S seconds
  peer_pytorch.py bench --hidden 128                      # speed: train chars/s, sample bytes/s
  ... --device cuda [--precision bf16|fp16]               # on a GPU (torch.autocast, GradScaler)
Prints one JSON object on stdout.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, layers, hidden, dropout):
        super().__init__()
        self.lstm = nn.LSTM(256, hidden, layers, dropout=dropout if layers > 1 else 0.0,
                            batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, 256)

    def forward(self, x, state):
        # x: (B,T) int64 -> logits (B,T,256)
        y, state = self.lstm(F.one_hot(x, 256).float(), state)
        return self.head(self.drop(y)), state


def streams(data, batch, seq_len):
    """(B, stream_len) view of the bytes: row b is a contiguous stream."""
    n = (len(data) - 1) // batch
    x = torch.stack([data[b * n:(b + 1) * n + 1] for b in range(batch)])
    return x, n // seq_len


def zero_state(model, batch):
    shape = (model.lstm.num_layers, batch, model.lstm.hidden_size)
    device = model.head.weight.device
    return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Step:
    """One training step as a PyTorch user writes it, with autocast and GradScaler on a GPU."""

    def __init__(self, model, opt, clip, precision):
        self.model, self.opt, self.clip = model, opt, clip
        self.dtype = DTYPES[precision]
        fp16 = precision == "fp16"
        if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
            self.scaler = torch.amp.GradScaler("cuda", enabled=fp16)
        else:
            self.scaler = torch.cuda.amp.GradScaler(enabled=fp16)

    def __call__(self, x, y, state):
        with torch.autocast("cuda", dtype=self.dtype or torch.float16, enabled=self.dtype is not None):
            logits, state = self.model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, 256).float(), y.reshape(-1))
        self.opt.zero_grad()
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.opt)
        nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        return loss.item(), (state[0].detach().float(), state[1].detach().float())


@torch.no_grad()
def evaluate(model, data, batch, seq_len):
    model.eval()
    batch = max(1, min(batch, (len(data) - 1) // seq_len))
    rows, nb = streams(data, batch, seq_len)
    state, total, count = zero_state(model, batch), 0.0, 0
    for k in range(nb):
        chunk = rows[:, k * seq_len:(k + 1) * seq_len + 1]
        logits, state = model(chunk[:, :-1], state)
        total += F.cross_entropy(logits.reshape(-1, 256), chunk[:, 1:].reshape(-1),
                                 reduction="sum").item()
        count += chunk[:, 1:].numel()
    model.train()
    return total / count


def cmd_train(a):
    raw = open(a.data, "rb").read()
    data = torch.frombuffer(bytearray(raw), dtype=torch.uint8).long().to(a.device)
    n_val = round(len(data) * a.val_frac)
    train, val = data[:len(data) - n_val], data[len(data) - n_val:]
    torch.manual_seed(a.seed)
    model = CharLSTM(a.layers, a.hidden, a.dropout).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step_fn = Step(model, opt, a.grad_clip, a.precision)
    rows, nb = streams(train, a.batch, a.seq_len)
    t0, step, epoch, log = time.time(), 0, 0, []
    def done():
        return time.time() - t0 >= a.time_limit or (a.max_steps and step >= a.max_steps)

    while not done():
        state = zero_state(model, a.batch)
        for k in range(nb):
            chunk = rows[:, k * a.seq_len:(k + 1) * a.seq_len + 1]
            loss, state = step_fn(chunk[:, :-1], chunk[:, 1:], state)
            step += 1
            if step % a.eval_every == 0:
                v = evaluate(model, val, a.batch, a.seq_len)
                log.append({"step": step, "elapsed": time.time() - t0, "val_loss": v})
                print(f"peer step {step} train {loss:.4f} val {v:.4f}", file=sys.stderr)
            if done():
                break
        epoch += 1
    elapsed = time.time() - t0
    v = evaluate(model, val, a.batch, a.seq_len)
    print(json.dumps({"impl": "pytorch-python", "torch": torch.__version__, "steps": step,
                      "epochs": epoch, "elapsed": elapsed, "val_loss": v,
                      "val_bpb": v / math.log(2), "best_val_loss": min([v] + [r["val_loss"] for r in log]),
                      "chars_per_sec": step * a.batch * a.seq_len / elapsed}))


def summary(xs):
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs)}


def cmd_bench(a):
    torch.manual_seed(0)
    model = CharLSTM(a.layers, a.hidden, a.dropout).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    step_fn = Step(model, opt, 5.0, a.precision)
    x = torch.randint(0, 256, (a.batch, a.seq_len), device=a.device)
    y = torch.randint(0, 256, (a.batch, a.seq_len), device=a.device)
    state = zero_state(model, a.batch)
    for _ in range(a.warmup):
        _, state = step_fn(x, y, state)
    train_rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.steps):
            _, state = step_fn(x, y, state)
        train_rates.append(a.steps * a.batch * a.seq_len / (time.perf_counter() - t))

    def sample_rate(batch, n):
        model.eval()
        with torch.inference_mode():
            s = zero_state(model, batch)
            byte = torch.zeros(batch, 1, dtype=torch.long, device=a.device)
            t = time.perf_counter()
            for _ in range(n):
                logits, s = model(byte, s)
                probs = torch.softmax(logits[:, -1] / 0.8, dim=-1)
                byte = torch.multinomial(probs, 1)
            rate = n * batch / (time.perf_counter() - t)
        model.train()
        return rate

    torch.set_num_threads(1)
    s1 = [sample_rate(1, a.sample_bytes) for _ in range(a.repeats)]
    torch.set_num_threads(a.threads)
    s1_threads = [sample_rate(1, a.sample_bytes) for _ in range(a.repeats)] if a.threads > 1 else []
    s16 = [sample_rate(16, a.sample_bytes) for _ in range(a.repeats)]
    print(json.dumps({"impl": "pytorch-python", "torch": torch.__version__,
                      "layers": a.layers, "hidden": a.hidden, "batch": a.batch,
                      "seq_len": a.seq_len, "threads": a.threads, "device": a.device,
                      "precision": a.precision,
                      "train_chars_per_sec": summary(train_rates),
                      "sample_b1_bytes_per_sec": summary(s1),
                      **({"sample_b1_threads_bytes_per_sec": summary(s1_threads)} if s1_threads else {}),
                      "sample_b16_bytes_per_sec": summary(s16)}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("train", "bench"):
        s = sub.add_parser(name)
        s.add_argument("--layers", type=int, default=2)
        s.add_argument("--hidden", type=int, default=128)
        s.add_argument("--dropout", type=float, default=0.1)
        s.add_argument("--batch", type=int, default=50)
        s.add_argument("--seq-len", type=int, default=50)
        s.add_argument("--threads", type=int, default=2)
        s.add_argument("--device", default="cpu", help="cpu or cuda")
        s.add_argument("--precision", default="fp32", choices=sorted(DTYPES),
                       help="cuda only: bf16/fp16 under torch.autocast (fp16 with GradScaler)")
    t = sub.choices["train"]
    t.add_argument("--data", required=True)
    t.add_argument("--time-limit", type=float, default=600)
    t.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: none)")
    t.add_argument("--val-frac", type=float, default=0.1)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--grad-clip", type=float, default=5.0)
    t.add_argument("--eval-every", type=int, default=500)
    t.add_argument("--seed", type=int, default=1234)
    b = sub.choices["bench"]
    b.add_argument("--warmup", type=int, default=5)
    b.add_argument("--steps", type=int, default=20)
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--sample-bytes", type=int, default=2000)
    a = p.parse_args()
    if a.precision != "fp32" and not a.device.startswith("cuda"):
        p.error("--precision bf16/fp16 needs --device cuda")
    torch.set_num_threads(a.threads)
    {"train": cmd_train, "bench": cmd_bench}[a.cmd](a)


if __name__ == "__main__":
    main()
