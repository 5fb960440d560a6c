"""Loading a transformers causal LM and its tokenizer from a folder, a hub id or a GGUF file, and naming
its weights without loading them."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimbench.harness.errors import ConfigError
from claimbench.harness.hashing import sha256_file_cached

_WEIGHT_GLOBS = ("*.safetensors", "*.bin", "*.gguf", "config.json", "tokenizer*.json", "tokenizer.model")


@dataclass(frozen=True)
class Source:
    kind: str              # "gguf" | "dir" | "hub"
    location: str          # folder, hub id
    gguf_file: str | None
    revision: str | None


def resolve_source(path: str, gguf_file: str | None, revision: str | None) -> Source:
    p = Path(path).expanduser()
    if path.endswith(".gguf"):
        if not p.is_file():
            raise ConfigError(f"hf: GGUF file {path!r} does not exist.")
        return Source("gguf", str(p.parent), p.name, None)
    if p.is_dir():
        return Source("gguf" if gguf_file else "dir", str(p), gguf_file, None)
    if p.exists() or path.startswith((".", "/", "~")):
        raise ConfigError(f"hf: path {path!r} is neither a model folder nor a .gguf file.")
    return Source("hub", path, gguf_file, revision)


def _pretrained_kwargs(src: Source) -> dict[str, Any]:
    """What every from_pretrained of these weights takes besides the location."""
    kwargs: dict[str, Any] = {"revision": src.revision} if src.revision else {}
    if src.gguf_file:
        kwargs["gguf_file"] = src.gguf_file
    return kwargs


@contextmanager
def _loading(opts: Any, src: Source) -> Iterator[None]:
    """Turn transformers' OSError (missing files, hub unreachable) into a ConfigError saying where it looked."""
    try:
        yield
    except OSError as e:
        where = (src.location if src.kind != "hub"
                 else "the hub (is it reachable? offline, download the model and pass path=FOLDER)")
        raise ConfigError(f"hf: cannot load {opts.path!r} from {where}: {e}") from None


def load_tokenizer(opts: Any, src: Source) -> Any:
    """The tokenizer, left-padding, with a pad token (the end-of-text token when it has none)."""
    import transformers

    with _loading(opts, src):
        tok = transformers.AutoTokenizer.from_pretrained(opts.tokenizer or src.location,
                                                         **({} if opts.tokenizer else _pretrained_kwargs(src)))
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_causal_lm(opts: Any, src: Source) -> Any:
    """The model with its weights, on opts.device, in eval mode."""
    import torch
    import transformers

    with _loading(opts, src):
        model = transformers.AutoModelForCausalLM.from_pretrained(src.location, dtype=getattr(torch, opts.dtype),
                                                                  **_pretrained_kwargs(src))
    return model.to(opts.device).eval()


def weights_identity(opts: Any, src: Source) -> dict[str, Any]:
    """File hashes for local weights; for hub weights, the commit their config resolves to (the one
    from_pretrained loads), read from the config alone."""
    if src.kind == "hub":
        import transformers

        with _loading(opts, src):
            config = transformers.AutoConfig.from_pretrained(src.location, **_pretrained_kwargs(src))
        return {"hub_id": src.location, "revision": getattr(config, "_commit_hash", None) or src.revision}
    folder = Path(src.location)
    files = [folder / src.gguf_file] if src.gguf_file else sorted({f for g in _WEIGHT_GLOBS for f in folder.glob(g)})
    return {"files": {f.name: sha256_file_cached(f) for f in files}}
