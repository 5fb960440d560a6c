import gzip
import json

import pytest

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError
from claimbench.leaderboards.publish import publish


def test_testing_adapter_results_are_never_published(tmp_path):
    evaluate("scripted", ["demo_choice"], output=tmp_path / "run", cache=":memory:")
    with pytest.raises(ConfigError, match="never published"):
        publish(tmp_path / "run" / "demo_choice", tmp_path / "results")


def test_publish_copies_results_and_gzips_samples(tmp_path):
    evaluate("scripted", ["demo_choice"], output=tmp_path / "run", cache=":memory:")
    src = tmp_path / "run" / "demo_choice"
    data = json.loads((src / "results.json").read_text())
    data["model"]["testing_only"] = False  # as a real adapter's result would be
    (src / "results.json").write_text(json.dumps(data))
    dest = publish(src, tmp_path / "results")
    assert dest == tmp_path / "results" / "demo_choice" / "scripted"
    assert gzip.decompress((dest / "samples.jsonl.gz").read_bytes()) == (src / "samples.jsonl").read_bytes()
    first = (dest / "samples.jsonl.gz").read_bytes()
    publish(src, tmp_path / "results")
    assert (dest / "samples.jsonl.gz").read_bytes() == first  # byte-identical: no timestamp in the gzip
