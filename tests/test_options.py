from dataclasses import dataclass
from typing import Literal

import pytest

from claimbench.harness.errors import ConfigError, UnknownNameError
from claimbench.harness.model import load_model
from claimbench.harness.options import build, parse_spec


def test_parse_spec_forms():
    assert parse_spec("scripted").options == ()
    s = parse_spec('hf:path=/m/model.gguf,dtype=float32,stop="a,b"')
    assert s.name == "hf" and dict(s.options) == {"path": "/m/model.gguf", "dtype": "float32", "stop": "a,b"}
    assert parse_spec(s.text) == s
    assert parse_spec("x:url=http://h:1/p").options == (("url", "http://h:1/p"),)
    assert dict(parse_spec("""openai:model=m,extra_body='{"a": 1, "b": "c,d"}'""").options)["extra_body"] == '{"a": 1, "b": "c,d"}'


@pytest.mark.parametrize("bad", ["", ":a=1", "x:", "x:novalue", "x:a=1,a=2", 'x:a="open'])
def test_parse_spec_errors(bad):
    with pytest.raises(ConfigError):
        parse_spec(bad)


@dataclass(frozen=True)
class Opts:
    n: int
    ratio: float = 0.5
    flag: bool = False
    mode: Literal["a", "b"] = "a"
    name: str | None = None


def test_build_converts_types_and_names_bad_options():
    o = build(Opts, {"n": "3", "ratio": "0.25", "flag": "true", "mode": "b", "name": "none"}, "thing")
    assert o == Opts(3, 0.25, True, "b", None)
    with pytest.raises(ConfigError, match="option 'n' must be an integer"):
        build(Opts, {"n": "three"}, "thing")
    with pytest.raises(ConfigError, match="Did you mean 'ratio'"):
        build(Opts, {"n": "1", "ratoi": "1"}, "thing")
    with pytest.raises(ConfigError, match="Required options: n"):
        build(Opts, {}, "thing")


def test_load_model_spec_and_fingerprint_ignores_speed_options():
    a = load_model("scripted")
    b = load_model("scripted:delay=0.5")
    c = load_model("scripted:generate=echo")
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert c.label == "scripted:generate=echo"
    with pytest.raises(UnknownNameError, match="Did you mean 'scripted'"):
        load_model("scriptd")


def test_display_names_drop_the_machine_part_of_paths():
    from claimbench.harness.options import display_name
    assert display_name('fid:reference="/usr/share/datasets/mnist/t10k.gz[0:1000]",num_samples=1000') == \
        "fid:reference=mnist/t10k.gz[0:1000],num_samples=1000"
    assert display_name("diffusers:path=runs/fashion-unet/pipeline") == "diffusers:path=fashion-unet/pipeline"
    assert display_name('images:source="data:mnist/t.gz[5:6]",noise=0') == "images:source=data:mnist/t.gz[5:6],noise=0"
    assert display_name("gemma3-270m:backend=llamacpp") == "gemma3-270m:backend=llamacpp"


def test_name_option_names_a_model_without_changing_its_fingerprint():
    from claimbench.harness.model import load_model

    plain, named = load_model("scripted:generate=echo"), load_model("scripted:generate=echo,name=echo-bot")
    assert plain.label == "scripted:generate=echo" and named.label == "echo-bot"
    assert plain.fingerprint() == named.fingerprint()
    with pytest.raises(ConfigError, match="name= is empty"):
        load_model("scripted:name=")
