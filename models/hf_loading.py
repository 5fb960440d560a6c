"""Loading a transformers causal LM from a folder, a hub id or a GGUF file, and naming its weights."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.hashing import sha256_file_cached

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


def load_model_and_tokenizer(opts: Any) -> tuple[Any, Any, Source]:
    import torch
    import transformers

    src = resolve_source(opts.path, opts.gguf_file, opts.revision)
    common: dict[str, Any] = {"revision": src.revision} if src.revision else {}
    if src.gguf_file:
        common["gguf_file"] = src.gguf_file
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(src.location, dtype=getattr(torch, opts.dtype), **common)
        tok = transformers.AutoTokenizer.from_pretrained(opts.tokenizer or src.location,
                                                         **({} if opts.tokenizer else common))
    except OSError as e:
        where = "the hub (is it reachable? offline, download the model and pass path=FOLDER)" if src.kind == "hub" else src.location
        raise ConfigError(f"hf: cannot load {opts.path!r} from {where}: {e}") from None
    model.to(opts.device).eval()
    tok.padding_side = "left"
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok, src


def weights_identity(src: Source, model: Any) -> dict[str, Any]:
    """File hashes for local weights, the resolved commit for hub weights."""
    if src.kind == "hub":
        return {"hub_id": src.location, "revision": getattr(model.config, "_commit_hash", None) or src.revision}
    folder = Path(src.location)
    files = [folder / src.gguf_file] if src.gguf_file else sorted({f for g in _WEIGHT_GLOBS for f in folder.glob(g)})
    return {"files": {f.name: sha256_file_cached(f) for f in files}}
