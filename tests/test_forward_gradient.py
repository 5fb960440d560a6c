"""The forward-gradient reference implementation (examples/forward_gradient, Ren et al. ICLR 2023).

Unbiasedness is checked statistically: K independent estimates g_1..g_K (K random tangents, run at
once with torch.func.vmap) have a mean whose error e = mean - true satisfies E||e||^2 = tr(Cov)/K.
The tests estimate se = sqrt(tr(Cov)/K) from the same samples and assert ||e|| < 3 se (over hundreds
of coordinates ||e|| concentrates near se, so 3 se is a wide margin) and cosine(mean, true) > 0.9 (K
is chosen so that se is a fraction of ||true||). Seeds are fixed, so the outcome is reproducible.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import jvp, vmap

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # examples/ is a plain folder, importable from the repository root
    sys.path.insert(0, str(REPO))

from examples.forward_gradient import estimators as est  # noqa: E402
from examples.forward_gradient import train as train_mod  # noqa: E402
from examples.forward_gradient.localmixer import LocalMixer, LogitsOnly, MixerConfig, config_for  # noqa: E402

# two blocks (token mixing, residual, stop-gradient between blocks), 4 patches, 2 groups: 212 body weights
TINY = MixerConfig(blocks=2, patches=2, channels=8, groups=2, image_size=4, num_classes=3)


def tiny_problem(cfg: MixerConfig = TINY, n: int = 6, seed: int = 1):
    model = LocalMixer(cfg, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    params = {k: v.detach().clone() for k, v in model.named_parameters()}
    params["final_w"] = torch.randn(params["final_w"].shape, generator=gen)  # zero at init: no signal to test
    x = torch.randn(n, cfg.in_channels, cfg.image_size, cfg.image_size, generator=gen)
    y = torch.randint(0, cfg.num_classes, (n,), generator=gen)
    return model, params, x, y


def flat(model, grads, batched=False):
    return torch.cat([grads[n].flatten(1 if batched else 0) for n in model.main_names()], -1)


def sample_estimates(name: str, model, params, x, y, k: int, seed: int = 0) -> torch.Tensor:
    """[k, body params]: k independent estimates, vectorised over tangents."""
    local = name.startswith("lg-")
    gen = torch.Generator().manual_seed(seed)
    if name.endswith("-w"):
        tangents = {n: torch.randn(k, *params[n].shape, generator=gen) for n in model.main_names()}
        fn = est.fg_w_from_tangent
    else:
        shapes = {n: t.shape for n, t in est.activity_tangent(model, x.shape[0], gen).items()}
        tangents = {n: torch.randn(k, *s, generator=gen) for n, s in shapes.items()}
        fn = est.fg_a_from_tangent
    grads = vmap(lambda t: fn(model, params, x, y, t, local)[0])(tangents)
    return flat(model, grads, batched=True)


def test_sizes_match_table_2_parameter_counts():
    """Table 2: S/1/1 has 272K parameters, M/1/16 429K (1 block, 1x1 patches, 256 / 512 channels)."""
    assert LocalMixer(config_for("S/1/1")).describe()["parameters"] == 271_892
    assert LocalMixer(config_for("M/1/16")).describe()["parameters"] == 429_076
    with pytest.raises(ValueError, match="unknown LocalMixer size"):
        config_for("XL/1/1")


def test_bp_equals_autograd():
    model, params, x, y = tiny_problem()
    for n, t in params.items():
        getattr(model, n).data.copy_(t)
    loss = F.cross_entropy(model(x), y)
    want = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True, materialize_grads=True)
    got = est.bp(model, params, x, y).grads
    for (n, _), w in zip(model.named_parameters(), want):
        torch.testing.assert_close(got[n], w, rtol=1e-6, atol=1e-7)
    assert float(sum(got[n].abs().sum() for n in model.main_names())) > 0


def test_fused_replicated_losses_equal_the_literal_stop_gradient_copies():
    """Eqs. 4-5 written out (P*G masked copies) and the fused operator agree in value, forward-mode
    derivative and reverse-mode gradient; summed and backpropagated they give LG-BP's gradient."""
    model, params, x, y = tiny_problem()
    gen = torch.Generator().manual_seed(3)
    v = {n: torch.randn(params[n].shape, generator=gen) for n in model.main_names()}
    body = {n: params[n] for n in v}

    def losses(fn):
        def f(b):
            p = {**params, **b}
            tr = torch.func.functional_call(model, p, (x,), {"stop_grad": True, "trace": True})
            return tuple(fn(model, p, k, o, y) for k, o in enumerate(tr["blocks"]))
        return f

    fused_val, fused_dir = jvp(losses(est.replicated_local_losses), (body,), (v,))
    naive_val, naive_dir = jvp(losses(est.naive_replicated_local_losses), (body,), (v,))
    for a, b in zip(fused_val + fused_dir, naive_val + naive_dir):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    g_fused = torch.func.grad(lambda b: sum(t.sum() for t in losses(est.replicated_local_losses)(b)) / len(y))(body)
    g_naive = torch.func.grad(lambda b: sum(t.sum() for t in losses(est.naive_replicated_local_losses)(b)) / len(y))(body)
    lg_bp = est.lg_bp(model, params, x, y).grads
    for n in body:
        torch.testing.assert_close(g_fused[n], g_naive[n], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(g_fused[n], lg_bp[n], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, k", [("fg-w", 8000), ("fg-a", 12000), ("lg-fg-w", 4000), ("lg-fg-a", 4000)])
def test_forward_gradient_is_unbiased_for_its_loss(name, k):
    """Global estimators target BP's gradient; local ones the local greedy losses' gradient (LG-BP)."""
    model, params, x, y = tiny_problem()
    target = (est.lg_bp if name.startswith("lg-") else est.bp)(model, params, x, y).grads
    true = flat(model, target)
    samples = sample_estimates(name, model, params, x, y, k)
    mean = samples.mean(0)
    se = math.sqrt(samples.var(0).sum() / k)
    err = float((mean - true).norm())
    assert se < 0.4 * float(true.norm()), "K too small for this test's tolerance"
    assert err < 3 * se, (err, se)
    assert float(F.cosine_similarity(mean, true, 0)) > 0.9


def test_activity_perturbation_has_lower_variance_than_weight_perturbation():
    """Table 1: per weight, FG-W's variance grows with fan-in x fan-out, FG-A's with fan-out only
    (and shrinks with independent per-example perturbations). Same network, same batch."""
    cfg = MixerConfig(blocks=1, patches=1, channels=16, groups=1, image_size=8, num_classes=3)
    model, params, x, y = tiny_problem(cfg, n=16)
    var = {name: float(sample_estimates(name, model, params, x, y, 400).var(0).sum()) for name in ("fg-w", "fg-a")}
    assert var["fg-a"] < var["fg-w"] / 5, var
    grouped = MixerConfig(blocks=2, patches=2, channels=16, groups=4, image_size=8, num_classes=3)
    model, params, x, y = tiny_problem(grouped, n=16)
    var = {name: float(sample_estimates(name, model, params, x, y, 400).var(0).sum()) for name in ("lg-fg-w", "lg-fg-a")}
    assert var["lg-fg-a"] < var["lg-fg-w"], var


def test_estimators_return_every_parameter():
    model, params, x, y = tiny_problem()
    for name, fn in est.ESTIMATORS.items():
        out = fn(model, params, x, y, 0)
        assert sorted(out.grads) == sorted(params), name
        assert all(out.grads[n].shape == params[n].shape for n in params), name
        assert (out.local_loss is not None) == name.startswith("lg-"), name
    a, b = est.lg_fg_a(model, params, x, y, 5).grads, est.lg_fg_a(model, params, x, y, 5).grads
    assert all(torch.equal(a[n], b[n]) for n in a), "same seed, same estimate"


# ---------------------------------------------------------------- training script --------------------------------

def synthetic_digits(n: int = 512, seed: int = 0):
    """28x28 uint8 images whose class is set by which of 10 fixed blobs is bright (easy to learn)."""
    rng = np.random.default_rng(seed)
    protos = rng.random((10, 28, 28)) < 0.15
    labels = rng.integers(0, 10, n)
    images = (rng.random((n, 28, 28)) * 60 + protos[labels] * 180).astype(np.uint8)
    return images, labels.astype(np.int64)


@pytest.fixture
def synthetic_data(monkeypatch):
    data = synthetic_digits()
    monkeypatch.setattr(train_mod, "load_train", lambda name: data)
    monkeypatch.setattr(train_mod, "load_test", lambda name: synthetic_digits(200, seed=1))
    return data


def run_train(out: Path, *extra: str, estimator: str = "lg-fg-a") -> dict:
    args = train_mod.parse_args(["--data", "mnist5k", "--estimator", estimator, "--size", "S/1/1", "--minutes", "5",
                                 "--out", str(out), "--batch-size", "32", "--warmup", "2", "--no-progress", *extra])
    return train_mod.train(args)


def mean_loss(model_file: Path, data) -> float:
    model = torch.jit.load(str(model_file))
    with torch.no_grad():
        return float(F.cross_entropy(model(train_mod.to_input(data[0])), torch.from_numpy(data[1])))


@pytest.mark.parametrize("estimator", ["bp", "lg-fg-a"])
def test_twenty_steps_lower_the_loss(tmp_path, synthetic_data, estimator):
    record = run_train(tmp_path / estimator, "--steps", "20", estimator=estimator)
    assert record["steps_done"] == 20 and record["stopped_by"] == "steps"
    assert mean_loss(tmp_path / estimator / "model.pt", synthetic_data) < math.log(10) - 0.1  # init: ln 10
    saved = json.loads((tmp_path / estimator / "train.json").read_text())
    assert saved["status"] == "done" and saved["hyperparameters"]["estimator"] == estimator
    assert saved["test_error"] is not None and saved["train_seconds"] > 0


def test_resumed_run_equals_uninterrupted_run(tmp_path, synthetic_data, monkeypatch):
    run_train(tmp_path / "straight", "--steps", "12", "--checkpoint-every", "4")
    real = est.ESTIMATORS["lg-fg-a"]
    calls = {"n": 0}

    def dies_at_step_7(*a, **k):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setitem(train_mod.ESTIMATORS, "lg-fg-a", dies_at_step_7)
    with pytest.raises(KeyboardInterrupt):
        run_train(tmp_path / "resumed", "--steps", "12", "--checkpoint-every", "4")
    assert torch.load(tmp_path / "resumed" / "checkpoint.pt")["step"] == 4
    monkeypatch.setitem(train_mod.ESTIMATORS, "lg-fg-a", real)
    run_train(tmp_path / "resumed", "--steps", "12", "--checkpoint-every", "4")
    a = torch.load(tmp_path / "straight" / "checkpoint.pt")
    b = torch.load(tmp_path / "resumed" / "checkpoint.pt")
    assert a["step"] == b["step"] == 12
    for n in a["model"]:
        assert torch.equal(a["model"][n], b["model"][n]), n
    with pytest.raises(SystemExit, match="another configuration"):
        run_train(tmp_path / "resumed", "--steps", "12", "--lr", "0.5")


def test_torchscript_export_gives_the_module_logits(tmp_path):
    model = LocalMixer(config_for("M/1/16"), seed=2)
    with torch.no_grad():
        model.final_w.normal_()
    train_mod.export(model, tmp_path / "model.pt")
    loaded = torch.jit.load(str(tmp_path / "model.pt"))
    x = train_mod.to_input(synthetic_digits(8)[0])
    with torch.no_grad():
        want = LogitsOnly(model)(x)
        got = loaded(x)
    assert got.shape == (8, 10)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
