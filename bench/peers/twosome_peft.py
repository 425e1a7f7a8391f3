#!/usr/bin/env python3
"""TWOSOME PPO-update throughput in PyTorch + HF transformers + peft: a speed peer for rl-ggml's engine.

One measured unit is one TWOSOME PPO update over the workload's decisions (one prompt = one decision), done the way
the reference implementation (github WeihaoTan/TWOSOME) does it:

  1. rollout scoring, no grad: every (prompt, action) pair is its own sequence (no prefix sharing) through the
     LoRA policy -> old log-probs; the prompts alone through the base model with the adapter disabled -> values;
  2. per minibatch of --minibatch decisions: policy forward with grad, PPO clipped surrogate + entropy bonus, base
     features (adapter disabled, no grad) -> critic MLP -> value loss, backward, grad-norm clip per group, AdamW step.

Action log-prob = sum of the log-softmax of the action's tokens after the prompt, divided by the action's token count
("token" normalization); a softmax over the prompt's actions is the policy. The model is LLaMA-shaped with random
weights built from a config (nothing is downloaded); advantages, returns and chosen actions are fixed dummies from a
seeded RNG, since speed does not depend on their values.

  python3 bench/peers/twosome_peft.py --workload W.json [--layers 32 --embd 4096 ...] [--json]
  python3 bench/peers/twosome_peft.py --workload W.json --self-check   # padded batch == one sequence at a time

Workload JSON: {"vocab": 32000, "prompts": [{"prompt": [ids incl. BOS], "actions": [[ids], [ids], ...]}, ...]}.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import dataclass

try:
    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model
    from torch.distributions import Categorical
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM
except ImportError as e:  # reported by main() once the arguments and the workload have been checked
    MISSING_LIBRARY = e
else:
    MISSING_LIBRARY = None

EXIT_SELF_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_OUT_OF_MEMORY = 3


# ------------------------------------------------------------------------------------------------ hyperparameters
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", required=True, help="workload JSON (token ids of prompts and actions)")
    # model shape; defaults = LLaMA-7B (v1)
    p.add_argument("--arch", choices=["llama", "qwen2", "qwen3"], default="llama",
                   help="qwen2: llama's block with q, k, v biases; qwen3: per-head q, k norms (as rl-ggml's models)")
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--embd", type=int, default=4096)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--kv-heads", type=int, default=32)
    p.add_argument("--head-dim", type=int, help="attention head size (default: embd / heads)")
    p.add_argument("--ff", type=int, default=11008)
    p.add_argument("--ctx", type=int, default=2048)
    p.add_argument("--dtype", choices=["float16", "float32"],
                   help="base weights (default float16 on cuda, float32 on cpu)")
    p.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda if available")
    p.add_argument("--attn", default="sdpa", help="transformers attn_implementation (sdpa, eager, ...)")
    # how the update runs
    p.add_argument("--batching", choices=["padded", "per-sequence"], default="padded",
                   help="padded: all pairs of a minibatch in one right-padded forward; "
                        "per-sequence: one forward per pair")
    p.add_argument("--minibatch", type=int, default=4, help="decisions per policy minibatch (TWOSOME: 4)")
    p.add_argument("--cache-features", action="store_true",
                   help="reuse the rollout's base features for the value loss instead of recomputing them per "
                        "minibatch (the reference recomputes them)")
    # PPO / optimizer (TWOSOME's values; speed does not depend on them)
    p.add_argument("--lora-rank", type=int, default=8)
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--actor-lr", type=float, default=1e-6)
    p.add_argument("--critic-lr", type=float, default=1e-5)
    # measurement
    p.add_argument("--min-seconds", type=float, default=10.0, help="keep timing updates at least this long")
    p.add_argument("--min-rounds", type=int, default=3, help="and at least this many timed updates")
    p.add_argument("--warmup", type=int, default=1, help="untimed updates first")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print exactly one JSON line on stdout")
    p.add_argument("--self-check", action="store_true",
                   help="check padded-batch log-probs and features against one-sequence-at-a-time ones, then exit "
                        "(exit 1 on mismatch)")
    p.add_argument("--self-check-tol", type=float, help="absolute tolerance (default 1e-4 float32, 5e-2 float16)")
    args = p.parse_args(argv)
    for name in ("layers", "embd", "heads", "kv_heads", "ff", "ctx", "minibatch", "min_rounds"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.embd % args.heads or args.heads % args.kv_heads:
        p.error("--embd must be a multiple of --heads, and --heads a multiple of --kv-heads")
    if args.warmup < 0:
        p.error("--warmup must be >= 0")
    return args


def fail(msg: str, code: int = EXIT_BAD_INPUT):
    print(f"twosome_peft: {msg}", file=sys.stderr)
    sys.exit(code)


# ------------------------------------------------------------------------------------------------ workload
@dataclass
class Decision:
    prompt: list[int]          # token ids, BOS first
    actions: list[list[int]]   # token ids that follow the prompt, one list per valid action


def load_workload(path: str, ctx: int) -> tuple[int, list[Decision]]:
    """Read and validate the workload; every problem is a message and exit code 2."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        fail(f"workload file not found: {path}")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read workload {path}: {e}")
    except json.JSONDecodeError as e:
        fail(f"workload {path} is not valid JSON: {e}")

    def ids(x, where: str, vocab: int) -> list[int]:
        if not isinstance(x, list) or not x or not all(isinstance(t, int) and not isinstance(t, bool) for t in x):
            fail(f"{where}: expected a non-empty list of integer token ids")
        if min(x) < 0 or max(x) >= vocab:
            fail(f"{where}: token id out of range [0, {vocab})")
        return x

    if not isinstance(data, dict):
        fail("workload: expected a JSON object with 'vocab' and 'prompts'")
    vocab = data.get("vocab")
    if not isinstance(vocab, int) or isinstance(vocab, bool) or vocab < 2:
        fail("workload: 'vocab' must be an integer >= 2")
    prompts = data.get("prompts")
    if not isinstance(prompts, list) or not prompts:
        fail("workload: 'prompts' must be a non-empty list")
    decisions = []
    for i, item in enumerate(prompts):
        if not isinstance(item, dict) or not isinstance(item.get("actions"), list) or not item["actions"]:
            fail(f"workload prompts[{i}]: expected {{'prompt': [...], 'actions': [[...], ...]}} "
                 "with at least one action")
        d = Decision(ids(item.get("prompt"), f"prompts[{i}].prompt", vocab),
                     [ids(a, f"prompts[{i}].actions[{k}]", vocab) for k, a in enumerate(item["actions"])])
        longest = len(d.prompt) + max(len(a) for a in d.actions)
        if longest > ctx:
            fail(f"workload prompts[{i}]: prompt + action is {longest} tokens, more than --ctx {ctx}")
        decisions.append(d)
    return vocab, decisions


# ------------------------------------------------------------------------------------------------ batches
@dataclass
class Chunk:
    """One forward pass: right-padded sequences and where to read them."""
    input_ids: torch.Tensor         # [B, L], padding = token 0 with mask 0 (as the reference's pad_token_id = 0)
    attention_mask: torch.Tensor    # [B, L]
    last: torch.Tensor              # [B] index of each sequence's last real token (value features)
    rows: torch.Tensor              # [T] sequence of each action token (action log-probs) ...
    cols: torch.Tensor              # [T] ... the position whose logits predict it (one before it) ...
    targets: torch.Tensor           # [T] ... and its id
    real_tokens: int
    padded_tokens: int


def make_chunk(seqs: list[list[int]], prompt_lens: list[int], device) -> Chunk:
    width = max(len(s) for s in seqs)
    input_ids = torch.zeros(len(seqs), width, dtype=torch.long)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    rows, cols, targets = [], [], []
    for i, (s, p) in enumerate(zip(seqs, prompt_lens)):
        input_ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        for j in range(p, len(s)):  # action tokens: logits at j-1 predict token j
            rows.append(i)
            cols.append(j - 1)
            targets.append(s[j])
    as_t = lambda x: torch.tensor(x, dtype=torch.long, device=device)
    return Chunk(input_ids.to(device), mask.to(device), as_t([len(s) - 1 for s in seqs]), as_t(rows), as_t(cols),
                 as_t(targets), sum(len(s) for s in seqs), len(seqs) * width)


@dataclass
class Minibatch:
    pair_chunks: list[Chunk]         # every (prompt, action) pair, as forwards
    prompt_chunks: list[Chunk]       # the prompts alone (critic features)
    action_counts: list[int]         # valid actions per decision
    action_lengths: torch.Tensor     # [pairs] tokens per action (token normalization)
    chosen: torch.Tensor             # [decisions] dummy actions taken
    advantages: torch.Tensor         # [decisions] dummy
    returns: torch.Tensor            # [decisions] dummy


def make_minibatches(decisions: list[Decision], size: int, batching: str, device, gen) -> list[Minibatch]:
    """Pad and index everything once up front: the update itself then only runs the model (favours the peer)."""
    out = []
    for start in range(0, len(decisions), size):
        ds = decisions[start:start + size]
        pairs = [(d.prompt + a, len(d.prompt)) for d in ds for a in d.actions]
        prompts = [(d.prompt, len(d.prompt)) for d in ds]
        groups = (lambda xs: [xs]) if batching == "padded" else (lambda xs: [[x] for x in xs])
        chunk = lambda g: make_chunk([s for s, _ in g], [p for _, p in g], device)
        n = len(ds)
        out.append(Minibatch(
            pair_chunks=[chunk(g) for g in groups(pairs)],
            prompt_chunks=[chunk(g) for g in groups(prompts)],
            action_counts=[len(d.actions) for d in ds],
            action_lengths=torch.tensor([len(a) for d in ds for a in d.actions], dtype=torch.float32, device=device),
            chosen=torch.tensor([int(torch.randint(len(d.actions), (1,), generator=gen)) for d in ds], device=device),
            advantages=torch.randn(n, generator=gen).to(device),
            returns=torch.randn(n, generator=gen).to(device),
        ))
    return out


# ------------------------------------------------------------------------------------------------ model
def build_agent(args, vocab: int, device, dtype):
    """Random-weight LLaMA, Qwen2 or Qwen3 (frozen) + peft LoRA on q,v (the actor) + a float32 MLP critic."""
    Config, CausalLM = {"llama": (LlamaConfig, LlamaForCausalLM), "qwen2": (Qwen2Config, Qwen2ForCausalLM),
                        "qwen3": (Qwen3Config, Qwen3ForCausalLM)}[args.arch]
    config = Config(
        vocab_size=vocab, hidden_size=args.embd, intermediate_size=args.ff, num_hidden_layers=args.layers,
        num_attention_heads=args.heads, num_key_value_heads=args.kv_heads, max_position_embeddings=args.ctx,
        head_dim=args.head_dim or args.embd // args.heads,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, use_cache=False,
        bos_token_id=1, eos_token_id=2, pad_token_id=0, attn_implementation=args.attn,
    )
    # Build directly on the device in the target dtype: a 7B model initialised on the CPU in float32 would take
    # ~27 GB of host memory and minutes. This is what from_pretrained(torch_dtype=...) does internally too.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            base = CausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    base.requires_grad_(False)
    base.eval()  # no dropout anywhere (LLaMA has none, lora_dropout=0): train/eval compute the same thing

    lora = LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha, lora_dropout=0.0,
                      target_modules=["q_proj", "v_proj"], bias="none", task_type="CAUSAL_LM")
    actor = get_peft_model(base, lora)  # peft keeps the adapter weights in float32 over a float16 base by default

    critic = torch.nn.Sequential(
        torch.nn.Linear(args.embd, 1024, bias=False), torch.nn.ReLU(),
        torch.nn.Linear(1024, 512, bias=False), torch.nn.ReLU(),
        torch.nn.Linear(512, 1, bias=False),
    ).to(device=device, dtype=torch.float32)
    return actor, critic


def pair_logprob_sums(actor, chunks: list[Chunk]):
    """Σ log p(action token | prompt, earlier action tokens) for every pair, in chunk order."""
    sums = []
    for c in chunks:
        logits = actor(input_ids=c.input_ids, attention_mask=c.attention_mask).logits  # [B, L, V]
        # log-softmax only at the positions that predict action tokens (the reference takes it over all positions)
        logp = logits[c.rows, c.cols].float().log_softmax(-1).gather(1, c.targets[:, None]).squeeze(1)
        sums.append(torch.zeros(c.input_ids.shape[0], device=logp.device).index_add(0, c.rows, logp))
    return torch.cat(sums)


def action_scores(actor, mb: Minibatch):
    """Per decision: the token-normalized log-probs of its actions, i.e. the logits of the policy's softmax."""
    return (pair_logprob_sums(actor, mb.pair_chunks) / mb.action_lengths).split(mb.action_counts)


def base_features(actor, chunks: list[Chunk]):
    """Final hidden state (after the final norm) at each prompt's last real token, from the base model alone."""
    decoder = actor.get_base_model().model  # the decoder without the LM head, which the critic never reads
    feats = []
    with actor.disable_adapter(), torch.no_grad():
        for c in chunks:
            h = decoder(input_ids=c.input_ids, attention_mask=c.attention_mask).last_hidden_state
            # read the real last token, not the last padded position (the reference's bug, see the spec)
            feats.append(h[torch.arange(h.shape[0], device=h.device), c.last].float())
    return torch.cat(feats)


def policy_terms(scores, chosen):
    """Log-prob of the chosen action and entropy, per decision (decisions may offer different action counts)."""
    dists = [Categorical(logits=s) for s in scores]
    return (torch.stack([d.log_prob(a) for d, a in zip(dists, chosen)]),
            torch.stack([d.entropy() for d in dists]))


# ------------------------------------------------------------------------------------------------ the update
@dataclass
class Rollout:
    old_logprobs: torch.Tensor  
    values: torch.Tensor  
    features: torch.Tensor  


def score_rollout(actor, critic, mb: Minibatch) -> Rollout:
    """What the rollout computes per decision: the policy over the actions and the value, all without grad."""
    with torch.no_grad():
        logp, _ = policy_terms(action_scores(actor, mb), mb.chosen)
        feats = base_features(actor, mb.prompt_chunks)
        return Rollout(logp, critic(feats).squeeze(-1), feats)


def train_minibatch(args, actor, critic, opt_actor, opt_critic, lora_params, mb: Minibatch, old: Rollout):
    """One optimizer step on a minibatch; returns the (detached) loss."""
    new_logp, entropy = policy_terms(action_scores(actor, mb), mb.chosen)
    adv = mb.advantages
    if adv.numel() > 1:  # advantages normalized per minibatch, as in TWOSOME
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    ratio = (new_logp - old.old_logprobs).exp()
    pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)).mean()

    # the critic reads frozen base features: recomputed per minibatch like the reference, or reused from the rollout
    feats = old.features if args.cache_features else base_features(actor, mb.prompt_chunks)
    v_loss = 0.5 * ((critic(feats).squeeze(-1) - mb.returns) ** 2).mean()

    loss = pg_loss - args.ent_coef * entropy.mean() + v_loss
    opt_actor.zero_grad(set_to_none=True)
    opt_critic.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(lora_params, args.max_grad_norm)
    torch.nn.utils.clip_grad_norm_(critic.parameters(), args.max_grad_norm)
    opt_actor.step()
    opt_critic.step()
    return loss.detach()


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def ppo_update(args, agent, minibatches: list[Minibatch], device) -> tuple[float, float, bool]:
    """One timed update: rollout scoring over all decisions, then one epoch of minibatch steps.
    Returns (seconds in all, seconds of the scoring pass, whether every loss was finite)."""
    actor, critic, opt_actor, opt_critic, lora_params = agent
    synchronize(device)
    t0 = time.perf_counter()
    rollouts = [score_rollout(actor, critic, mb) for mb in minibatches]
    synchronize(device)
    t1 = time.perf_counter()
    losses = [train_minibatch(args, actor, critic, opt_actor, opt_critic, lora_params, mb, old)
              for mb, old in zip(minibatches, rollouts)]
    synchronize(device)
    t2 = time.perf_counter()
    return t2 - t0, t1 - t0, bool(torch.isfinite(torch.stack(losses)).all())


# ------------------------------------------------------------------------------------------------ self-check
def self_check(args, actor, critic, decisions, device, gen) -> dict:
    """Padded-batch log-probs and value features must equal one-sequence-at-a-time ones (right padding + mask)."""
    # make the adapter non-zero (lora_B starts at 0) so its path is exercised and disable_adapter() can be seen
    with torch.no_grad():
        for name, p in actor.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen).to(p) * 0.05)
    ds = decisions[:args.minibatch]
    padded = make_minibatches(ds, len(ds), "padded", device, gen)[0]
    single = make_minibatches(ds, len(ds), "per-sequence", device, gen)[0]
    with torch.no_grad():
        lp_padded = pair_logprob_sums(actor, padded.pair_chunks)
        lp_single = pair_logprob_sums(actor, single.pair_chunks)
        f_padded, f_single = base_features(actor, padded.prompt_chunks), base_features(actor, single.prompt_chunks)
        # an independent, naive reading of the first pair: full log-softmax, one action token at a time
        d = ds[0]
        logp = actor(input_ids=torch.tensor([d.prompt + d.actions[0]], device=device)).logits[0].float().log_softmax(-1)
        naive = sum(float(logp[len(d.prompt) + j - 1, t]) for j, t in enumerate(d.actions[0]))
        decoder = actor.get_base_model().model
        c = single.prompt_chunks[0]
        with_adapter = decoder(input_ids=c.input_ids, attention_mask=c.attention_mask).last_hidden_state[0, -1].float()
    # float16 rounding differs with the batch shape (kernels, reduction order), so it gets a looser default
    tol = args.self_check_tol if args.self_check_tol is not None else (1e-4 if args.dtype == "float32" else 5e-2)
    padded_seqs = int((padded.pair_chunks[0].attention_mask == 0).any(1).sum())
    result = {
        "pairs": len(lp_padded),
        "pairsWithPadding": padded_seqs,
        "maxLogprobDiff": float((lp_padded - lp_single).abs().max()),
        "naiveLogprobDiff": abs(float(lp_padded[0]) - naive),
        "maxFeatureDiff": float((f_padded - f_single).abs().max()),
        "adapterChangesFeatures": float((with_adapter - f_single[0]).abs().max()),
        "tolerance": tol,
    }
    result["ok"] = (max(result["maxLogprobDiff"], result["naiveLogprobDiff"], result["maxFeatureDiff"]) <= tol
                    and result["adapterChangesFeatures"] > tol and bool(torch.isfinite(lp_padded).all()))
    return result


# ------------------------------------------------------------------------------------------------ main
def versions() -> dict:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__}


def measure(args, agent, minibatches: list[Minibatch], device) -> dict:
    """Warm up, then time whole updates until --min-seconds and --min-rounds are both reached."""
    for _ in range(args.warmup):  # first calls pick kernels and allocate the optimizer state
        ppo_update(args, agent, minibatches, device)
    cuda = device.type == "cuda"
    if cuda:  # the peak then counts what stays resident (weights, optimizer state) plus what an update allocates
        torch.cuda.reset_peak_memory_stats(device)
        resident = torch.cuda.memory_allocated(device)
    totals, scorings, finite = [], [], True
    start = time.perf_counter()
    while len(totals) < args.min_rounds or time.perf_counter() - start < args.min_seconds:
        total, scoring, ok = ppo_update(args, agent, minibatches, device)
        totals.append(total)
        scorings.append(scoring)
        finite = finite and ok
    median = statistics.median(totals)
    return {
        "secondsPerUpdate": {"median": median, "min": min(totals), "max": max(totals)},
        "scoringSecondsPerUpdate": statistics.median(scorings),
        "rounds": len(totals),
        "peakGpuBytes": torch.cuda.max_memory_allocated(device) if cuda else None,
        "peakGpuReservedBytes": torch.cuda.max_memory_reserved(device) if cuda else None,
        "residentGpuBytes": resident if cuda else None,
        "lossFinite": finite,
    }


def token_counts(args, minibatches: list[Minibatch]) -> dict:
    def tokens(kind: str) -> dict:
        chunks = [c for mb in minibatches for c in getattr(mb, kind)]
        return {"unpadded": sum(c.real_tokens for c in chunks), "padded": sum(c.padded_tokens for c in chunks)}

    pairs, prompts = tokens("pair_chunks"), tokens("prompt_chunks")
    # every pair goes through the model twice (rollout scoring, then the minibatch step); the prompts once for the
    # rollout's values and once more per minibatch unless the features are cached
    prompt_passes = 1 if args.cache_features else 2
    per_update = {k: 2 * pairs[k] + prompt_passes * prompts[k] for k in ("unpadded", "padded")}
    return {"tokensPerUpdate": per_update, "pairTokens": pairs, "promptTokens": prompts}


def metadata(args, vocab: int, decisions: list[Decision], device, actor=None, critic=None) -> dict:
    lora_params = [p for p in actor.parameters() if p.requires_grad] if actor is not None else []
    return {
        "peer": "pytorch-transformers-peft",
        "decisions": len(decisions),
        "pairs": sum(len(d.actions) for d in decisions),
        "minibatch": args.minibatch,
        "optimizerSteps": -(-len(decisions) // args.minibatch),
        "batching": args.batching,
        "cacheFeatures": args.cache_features,
        "trainableParams": {"lora": sum(p.numel() for p in lora_params),
                            "critic": sum(p.numel() for p in critic.parameters()) if critic is not None else 0},
        "model": {"layers": args.layers, "embd": args.embd, "heads": args.heads, "kvHeads": args.kv_heads,
                  "ff": args.ff, "ctx": args.ctx, "vocab": vocab},
        "dtype": args.dtype,
        "adapterDtype": str(lora_params[0].dtype).replace("torch.", "") if lora_params else None,
        "attn": getattr(actor.get_base_model().config, "_attn_implementation", args.attn) if actor else args.attn,
        "device": device.type,
        "deviceName": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "seed": args.seed,
        "versions": versions(),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    vocab, decisions = load_workload(args.workload, args.ctx)

    if MISSING_LIBRARY is not None:
        fail(f"needs torch, transformers and peft importable by {sys.executable}: {MISSING_LIBRARY}")
    transformers.logging.set_verbosity_error()  # keep stdout/stderr to our own lines

    if args.device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda asked for, but torch sees no CUDA device")
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    args.dtype = args.dtype or ("float16" if device.type == "cuda" else "float32")
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    actor = critic = None
    try:
        actor, critic = build_agent(args, vocab, device, getattr(torch, args.dtype))
        if args.self_check:
            return report_self_check(args, self_check(args, actor, critic, decisions, device, gen), device)
        lora_params = [p for p in actor.parameters() if p.requires_grad]
        # AdamW as in TWOSOME: eps 1e-5, no weight decay; one optimizer per group so each gets its own lr and clip
        opt_actor = torch.optim.AdamW(lora_params, lr=args.actor_lr, eps=1e-5, weight_decay=0.0)
        opt_critic = torch.optim.AdamW(critic.parameters(), lr=args.critic_lr, eps=1e-5, weight_decay=0.0)
        minibatches = make_minibatches(decisions, args.minibatch, args.batching, device, gen)
        timing = measure(args, (actor, critic, opt_actor, opt_critic, lora_params), minibatches, device)
    except torch.cuda.OutOfMemoryError as e:
        # a result in itself (the peer does not fit this workload on this GPU): say so in the usual output channel
        first_line = str(e).splitlines()[0] if str(e) else "CUDA out of memory"
        if args.json:
            print(json.dumps({"error": "cuda out of memory", "detail": first_line,
                              **metadata(args, vocab, decisions, device, actor, critic)}))
        print(f"twosome_peft: CUDA out of memory ({first_line}); try a smaller --minibatch", file=sys.stderr)
        return EXIT_OUT_OF_MEMORY

    result = {"decisionsPerSec": len(decisions) / timing["secondsPerUpdate"]["median"], **timing,
              **token_counts(args, minibatches), **metadata(args, vocab, decisions, device, actor, critic)}
    if args.json:
        print(json.dumps(result))
    else:
        print_summary(result)
    return 0


def report_self_check(args, r: dict, device) -> int:
    if args.json:
        print(json.dumps({"selfCheck": r, "dtype": args.dtype, "device": device.type, "versions": versions()}))
    else:
        print(f"self-check {'passed' if r['ok'] else 'FAILED'} ({args.dtype}, tolerance {r['tolerance']}): "
              f"{r['pairs']} pairs ({r['pairsWithPadding']} padded in the batch), "
              f"max |log-prob diff| {r['maxLogprobDiff']:.3g} (vs a naive reading {r['naiveLogprobDiff']:.3g}), "
              f"max |feature diff| {r['maxFeatureDiff']:.3g}, "
              f"adapter on vs off differs by {r['adapterChangesFeatures']:.3g}")
    return 0 if r["ok"] else EXIT_SELF_CHECK_FAILED


def print_summary(r: dict):
    v, m, s = r["versions"], r["model"], r["secondsPerUpdate"]
    gib = lambda b: "n/a" if b is None else f"{b / 2**30:.2f} GiB"
    print(f"TWOSOME PPO update, PyTorch peer (torch {v['torch']}, transformers {v['transformers']}, peft {v['peft']})")
    print(f"  device       {r['deviceName']} ({r['device']}), {r['dtype']} base, {r['adapterDtype']} adapter, "
          f"attn {r['attn']}")
    print(f"  model        {m['layers']} layers x {m['embd']}, heads {m['heads']}/{m['kvHeads']} kv, ff {m['ff']}, "
          f"vocab {m['vocab']}, ctx {m['ctx']}; trainable {r['trainableParams']['lora']:,} LoRA + "
          f"{r['trainableParams']['critic']:,} critic")
    print(f"  workload     {r['decisions']} decisions, {r['pairs']} (prompt, action) pairs; minibatch {r['minibatch']} "
          f"-> {r['optimizerSteps']} optimizer steps; batching {r['batching']}"
          f"{', cached features' if r['cacheFeatures'] else ''}")
    print(f"  tokens       {r['tokensPerUpdate']['unpadded']:,} unpadded / {r['tokensPerUpdate']['padded']:,} padded "
          f"per update (pairs {r['pairTokens']['unpadded']:,}/{r['pairTokens']['padded']:,} per pass)")
    print(f"  update       median {s['median']:.4f} s (min {s['min']:.4f}, max {s['max']:.4f}, {r['rounds']} rounds), "
          f"of which rollout scoring {r['scoringSecondsPerUpdate']:.4f} s")
    print(f"  throughput   {r['decisionsPerSec']:.3f} decisions/s")
    print(f"  GPU memory   peak {gib(r['peakGpuBytes'])} allocated ({gib(r['peakGpuReservedBytes'])} reserved), "
          f"resident before the update {gib(r['residentGpuBytes'])}")
    if not r["lossFinite"]:
        print("  note         a loss was not finite (random weights); the timing still counts every step")


if __name__ == "__main__":
    sys.exit(main())
