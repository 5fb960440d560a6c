"""Images and the sample browser in reports: thumbnails named by content (written once, standing in
for originals a machine lacks), the committed runs' real digits, and the browser's data."""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re

import numpy as np
import pytest
from conftest import COMMITTED_RESULTS, require_data
from PIL import Image

from claimbench.harness import image_sources, results
from claimbench.reports import browser, report
from claimbench.reports.media import SIDE, Thumbnails
from claimbench.reports.samples import prompt_text

skimage_data = pytest.importorskip("skimage.data")


def _photo(tmp_path) -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.fromarray(skimage_data.camera()).save(buf, format="PNG")
    (tmp_path / "camera.png").write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest(), buf.getvalue()


def test_thumbnails_are_named_by_content_written_once_and_stand_in_for_missing_originals(tmp_path):
    sha, data = _photo(tmp_path)
    site = tmp_path / "site"
    first = Thumbnails(site, "../")
    href = first.of_file(sha, str(tmp_path / "camera.png"))
    assert href == f"../media/{sha[:2]}/{sha}.webp" and first.written == [href[3:]]
    made = site / href[3:]
    with Image.open(made) as im:
        assert im.format == "WEBP" and max(im.size) == SIDE
    stamp = made.stat().st_mtime_ns
    (tmp_path / "camera.png").unlink()  # the original is gone: the published thumbnail stands in
    again = Thumbnails(site, "")
    assert again.of_file(sha, str(tmp_path / "camera.png")) == href[3:] and again.missing == 0
    assert made.stat().st_mtime_ns == stamp
    inline = Thumbnails()
    assert inline.of_file(sha, str(tmp_path / "camera.png")) is None and inline.missing == 1
    (tmp_path / "camera.png").write_bytes(data[:-1] + b"\0")  # other bytes at the recorded path are not the image
    assert inline.of_file(sha, str(tmp_path / "camera.png")) is None and inline.missing == 2


def test_small_images_are_enlarged_by_whole_pixels():
    digit = skimage_data.camera()[::18, ::18][:28, :28]  # 28 px a side, as an MNIST digit
    src = Thumbnails().of_array(digit[..., None], "a digit")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
        assert im.size == (84, 84)


def test_a_committed_mnist_report_shows_the_datasets_own_digits(monkeypatch):
    """The near misses of a committed MNIST run show images, and sample 8's is MNIST's test image 8."""
    images = image_sources.load_images(f"{require_data('mnist', 't10k-images-idx3-ubyte.gz')}")
    from claimbench.harness.task_files import load_task
    load_task("mnist").load_data()  # puts the dataset's images in the media cache, as a run does
    run = COMMITTED_RESULTS / "mnist" / "localmixer-m116-bp-mnist5k"
    ctx = report.context(run)
    near = ctx["near_misses"]
    assert near and all(s["images"] and s["images"][0]["src"] for s in near) and ctx["missing_images"] == 0
    eight = next(s for s in near if s["id"] == "8")
    assert eight["images"][0]["src"] == Thumbnails().of_array(images.images[8], "MNIST test image 8")
    assert "sha256" not in eight["prompt"] and eight["prompt"] == "top_k: 5"


def _decode(b64: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(b64)))


def test_the_browser_data_holds_every_sample_and_its_prompt_in_two_parts():
    run = COMMITTED_RESULTS / "bamboogle_method=self_ask-d37c4e8f" / "smollm2-135m"
    rows = results.read_samples(run)
    data = _decode(browser.encode(rows))
    assert data == json.loads(json.dumps(browser.records(rows)))
    assert len(data["rows"]) == len(rows) == 125 and data["prefix"].endswith("\n") and len(data["prefix"]) > 500
    for s, r in zip(rows, data["rows"]):
        assert data["prefix"] + r["prompt"] == prompt_text(s["requests"][-1]["request"])
        assert r["id"] == s["id"] and r["scores"]["exact_match"] == s["scores"]["exact_match"]
    assert browser.encode(rows) == browser.encode(rows)  # same samples, same bytes: a rebuilt site is unchanged
    key = re.fullmatch(r'window\.claimbenchSamples\("x\.js", "([A-Za-z0-9+/=]+)"\);\n', browser.script(rows, "x.js"))
    assert key and _decode(key.group(1)) == data


def test_floats_are_shown_to_four_significant_digits():
    run = COMMITTED_RESULTS / "mnist" / "localmixer-m116-bp-mnist5k"
    data = browser.records(results.read_samples(run)[:50])
    probs = [p for r in data["rows"] for p in json.loads(r["output"])["probs"]]
    assert probs and all(float(f"{p:.4g}") == p for p in probs)
    assert np.isclose(sum(json.loads(data["rows"][0]["output"])["probs"]), 1, atol=1e-3)
