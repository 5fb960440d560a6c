"""The embed_image adapters on real components: a small conv net exported here to ONNX and to
TorchScript (compared with torch's own forward), and dlib's face ResNet with its real weights on
scikit-image's astronaut photo (NASA, public domain, shipped inside scikit-image).

Embeddings depend on CPU kernels, so they are compared within tolerances, never with fixed floats."""
import shutil
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
from PIL import ImageEnhance  # noqa: E402

from claimbench.harness.errors import ConfigError  # noqa: E402
from claimbench.harness.model import load_model  # noqa: E402
from claimbench.harness.requests import EmbedImage, ImageRef  # noqa: E402
from claimbench.models.image.preprocessing import PreprocessOptions  # noqa: E402

SIZE = 32


class TinyNet(torch.nn.Module):
    """conv + pool + linear to 16-d (global pooling: it takes any image size)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(8, 16)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))


def tiny_net(seed: int = 0) -> TinyNet:
    """The factory of the torch-module tests."""
    torch.manual_seed(seed)
    return TinyNet().eval()


def save_png(path, array) -> ImageRef:
    Image.fromarray(array).save(path)
    return ImageRef.from_file(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("embedders")


@pytest.fixture(scope="module")
def images(folder) -> list[ImageRef]:
    """Three random images of different shapes, none of them SIZE x SIZE (so all are resized)."""
    shapes = [(40, 50, 3), (64, 32, 3), (20, 20, 3)]
    return [save_png(folder / f"img{i}.png", np.random.default_rng(i).integers(0, 256, s, dtype=np.uint8))
            for i, s in enumerate(shapes)]


def export_onnx(path, seed=0, dynamic=True, any_size=False):
    """The net as ONNX: batch axis dynamic (or fixed at 1); height and width fixed at SIZE unless any_size."""
    pytest.importorskip("onnx")
    net = tiny_net(seed)
    x = torch.zeros(1, 3, SIZE, SIZE)
    axes = {0: "batch", 2: "height", 3: "width"} if any_size else {0: "batch"}
    with warnings.catch_warnings():  # the TorchScript-based exporter is deprecated; the dynamo one needs onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net, (x,), str(path), input_names=["input"], output_names=["embedding"],
                          dynamic_axes={"input": axes, "embedding": {0: "batch"}} if dynamic else None,
                          dynamo=False)
    return path


@pytest.fixture(scope="module")
def onnx_file(folder):
    pytest.importorskip("onnxruntime")
    return export_onnx(folder / "tiny.onnx")


def embed(model, refs, flip=False):
    return np.array(model.serve("embed_image", [EmbedImage(r, flip) for r in refs]))


def test_onnx_matches_torch_and_batching(onnx_file, images):
    model = load_model(f"onnx:path={onnx_file},size={SIZE}").loaded()
    out = embed(model, images)
    assert out.shape == (3, 16) and np.isfinite(out).all()
    x = model.pre.batch([(r, False) for r in images])
    assert x.shape == (3, 3, SIZE, SIZE) and x.dtype == np.float32
    with torch.inference_mode():
        ref = tiny_net()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-4)
    one_by_one = np.concatenate([embed(model, [r]) for r in images])
    np.testing.assert_allclose(out, one_by_one, atol=1e-6)
    for r in EmbedImage(images[0]), EmbedImage(images[0], True):
        r.check_response(model.serve("embed_image", [r])[0])


def test_flip_embeds_the_mirror_image(onnx_file, images, folder):
    model = load_model(f"onnx:path={onnx_file},size={SIZE}").loaded()
    with Image.open(images[0].path) as im:
        mirrored = save_png(folder / "mirrored.png", np.asarray(im)[:, ::-1])
    flipped = embed(model, [images[0]], flip=True)
    np.testing.assert_allclose(flipped, embed(model, [mirrored]), atol=1e-6)
    assert not np.allclose(flipped, embed(model, [images[0]]), atol=1e-3)


def test_preprocessing_options(images):
    def pre(**opts):
        return PreprocessOptions(**{"size": (SIZE,), **opts}).preprocess()

    x = pre().array(images[0])
    assert x.shape == (3, SIZE, SIZE) and x.dtype == np.float32 and -1 <= x.min() < x.max() <= 1
    np.testing.assert_array_equal(pre(channels="bgr").array(images[0]), x[::-1])
    np.testing.assert_array_equal(pre(layout="nhwc").array(images[0]), x.transpose(1, 2, 0))
    np.testing.assert_allclose(x, (pre(mean=(0,), std=(1,)).array(images[0]) - 127.5) / 127.5, atol=1e-6)
    assert pre(mean=(127.5,) * 3, std=(127.5,), size=(SIZE, SIZE)) == pre()
    assert pre(size=(20, 24)).array(images[0]).shape == (3, 20, 24)
    with Image.open(images[0].path) as im:  # flip mirrors the decoded pixels before resizing
        assert pre(size=im.size[::-1]).array(images[0], flip=True)[:, :, ::-1].tobytes() == \
            pre(size=im.size[::-1]).array(images[0]).tobytes()


def test_onnx_fingerprint(onnx_file, folder):
    def fp(path=onnx_file, **opts):
        opts = {"size": str(SIZE), **opts}
        return load_model(f"onnx:path={path}," + ",".join(f"{k}={v}" for k, v in opts.items())).fingerprint()

    base = fp()
    moved = folder / "elsewhere" / "copy.onnx"
    moved.parent.mkdir(exist_ok=True)
    shutil.copy(onnx_file, moved)
    assert fp(moved) == base == fp(threads=1) == fp(size=f"{SIZE};{SIZE}")
    other_weights = export_onnx(folder / "other.onnx", seed=1)
    any_size = export_onnx(folder / "any_size.onnx", any_size=True)
    assert fp(any_size, size=48) != fp(any_size)
    changed = [fp(mean=0), fp(std=1), fp(channels="bgr"), fp(interpolation="bicubic"),
               fp(other_weights)]
    assert len({base, *changed}) == len(changed) + 1


def test_onnx_bad_options(onnx_file, folder):
    fixed = export_onnx(folder / "fixed.onnx", dynamic=False)
    (folder / "notes.onnx").write_text("not a model, just text\n" * 10)
    cases = {
        f"onnx:path={folder / 'missing.onnx'}": "path=",
        f"onnx:path={folder / 'notes.onnx'}": "not an ONNX model",
        f"onnx:path={onnx_file},size=0": "'size'",
        f"onnx:path={onnx_file},layout=xyz": "'layout'",
        f"onnx:path={onnx_file},std=0": "'std'",
        f"onnx:path={onnx_file},threads=0": "'threads'",
        f"onnx:path={onnx_file},size={SIZE},output=logits": "output=",
        f"onnx:path={fixed},size=64": f"set size={SIZE};{SIZE}",
        f"onnx:path={fixed},size={SIZE},layout=nhwc": "layout=nchw",
    }
    for spec, needle in cases.items():
        with pytest.raises(ConfigError) as e:
            load_model(spec)
        assert needle in str(e.value), (spec, str(e.value))


def test_onnx_fixed_batch_of_one_runs_image_by_image(folder, images, onnx_file):
    fixed = export_onnx(folder / "fixed1.onnx", dynamic=False)
    a = embed(load_model(f"onnx:path={fixed},size={SIZE}").loaded(), images)
    b = embed(load_model(f"onnx:path={onnx_file},size={SIZE}").loaded(), images)
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")  # TorchScript is deprecated in torch 2.14, still works
def test_torch_module_forms_agree(folder, images):
    net = tiny_net()
    script = folder / "tiny_script.pt"
    torch.jit.save(torch.jit.script(net), str(script))
    weights = folder / "tiny_state.pt"
    torch.save(net.state_dict(), weights)
    scripted = load_model(f"torch-module:path={script},size={SIZE}").loaded()
    factory = load_model(f"torch-module:factory=test_models_image:tiny_net,weights={weights},size={SIZE}").loaded()
    x = scripted.pre.batch([(r, False) for r in images])
    with torch.inference_mode():
        ref = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(embed(scripted, images), ref, atol=1e-5)
    np.testing.assert_allclose(embed(factory, images), ref, atol=1e-5)
    np.testing.assert_array_equal(embed(factory, images, flip=True)[0], embed(factory, [images[0]], flip=True)[0])
    batched = load_model(f"torch-module:path={script},size={SIZE},batch=true").loaded()
    np.testing.assert_allclose(embed(batched, images), ref, atol=1e-5)

    torch.save(tiny_net(seed=1).state_dict(), folder / "tiny_state1.pt")
    fps = {load_model(s).fingerprint() for s in (
        f"torch-module:path={script},size={SIZE}",
        f"torch-module:factory=test_models_image:tiny_net,weights={weights},size={SIZE}",
        f"torch-module:factory=test_models_image:tiny_net,weights={folder / 'tiny_state1.pt'},size={SIZE}",
        f"torch-module:factory=test_models_image:tiny_net,size={SIZE}",
        f"torch-module:factory=test_models_image:tiny_net,weights={weights},size={SIZE},mean=0")}
    assert len(fps) == 5
    assert load_model(f"torch-module:path={script},size={SIZE},threads=1").fingerprint() == \
        load_model(f"torch-module:path={script},size={SIZE}").fingerprint()


@pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
def test_torch_module_bad_options(folder):
    (folder / "junk.pt").write_bytes(b"\x00junk")
    for spec, needle in {
        "torch-module:size=32": "exactly one of",
        "torch-module:factory=not a ref": "'factory'",
        f"torch-module:path={folder / 'nope.pt'}": "path=",
        f"torch-module:path={folder / 'junk.pt'},weights={folder / 'junk.pt'}": "'weights'",
        "torch-module:factory=no_such_module_xyz:make": "cannot be found",
    }.items():
        with pytest.raises(ConfigError) as e:
            load_model(spec).fingerprint()
        assert needle in str(e.value), (spec, str(e.value))
    with pytest.raises(ConfigError, match="not a TorchScript file"):
        load_model(f"torch-module:path={folder / 'junk.pt'}").loaded()


# ---------------------------------------------------------------- dlib


@pytest.fixture(scope="module")
def faces(folder):
    """The astronaut photo, a rescaled + brightened + JPEG re-encoded copy, the cameraman photo
    (another person) and a noise image with no face."""
    pytest.importorskip("dlib")
    pytest.importorskip("face_recognition_models")
    data = pytest.importorskip("skimage.data")
    astronaut = data.astronaut()
    refs = {"astronaut": save_png(folder / "astronaut.png", astronaut)}
    im = Image.fromarray(astronaut)
    im = ImageEnhance.Brightness(im.resize((440, 440), Image.Resampling.BICUBIC)).enhance(1.15)
    im.save(folder / "astronaut_copy.jpg", quality=80)
    refs["copy"] = ImageRef.from_file(folder / "astronaut_copy.jpg")
    refs["cameraman"] = save_png(folder / "cameraman.png", np.stack([data.camera()] * 3, axis=-1))
    refs["noise"] = save_png(folder / "noise.png", np.random.default_rng(7).integers(0, 256, (150, 150, 3), dtype=np.uint8))
    return refs


@pytest.fixture(scope="module")
def dlib_model(faces):
    return load_model("dlib-face").loaded()


def test_dlib_descriptor(dlib_model, faces):
    a = embed(dlib_model, [faces["astronaut"]])[0]
    assert a.shape == (128,) and np.isfinite(a).all()
    assert 1.0 < np.linalg.norm(a) < 2.0  # raw, not normalised: measured 1.46 here (1.27-1.46 on the test images)
    np.testing.assert_array_equal(a, embed(dlib_model, [faces["astronaut"]])[0])  # deterministic
    d = lambda x, y: float(np.linalg.norm(x - y))  # noqa: E731
    flipped = embed(dlib_model, [faces["astronaut"]], flip=True)[0]
    assert 0 < d(a, flipped) < 0.6
    both = embed(dlib_model, [faces["astronaut"], faces["copy"], faces["cameraman"]])
    np.testing.assert_allclose(both[0], a, atol=1e-6)  # batching changes nothing
    assert d(a, both[1]) < 0.6
    assert d(a, both[2]) > d(a, both[1])


def test_dlib_detect_modes(dlib_model, faces):
    noise = faces["noise"]
    before = dlib_model.undetected
    fallback = embed(dlib_model, [noise, faces["astronaut"]])[0]
    assert dlib_model.undetected == before + 1  # counted (and logged), not in the response
    whole = load_model("dlib-face:detect=false").loaded()
    np.testing.assert_allclose(embed(whole, [noise])[0], fallback, atol=1e-6)
    assert whole.undetected == 0
    strict = load_model("dlib-face:detect=true").loaded()
    with pytest.raises(ConfigError, match="noise.png"):
        strict.serve("embed_image", [EmbedImage(noise)])
    a = embed(dlib_model, [faces["astronaut"]])[0]
    assert np.linalg.norm(embed(whole, [noise])[0] - a) > 0.6


def test_dlib_options_and_fingerprint(faces):
    fps = {load_model(s).fingerprint() for s in ("dlib-face", "dlib-face:landmarks=68", "dlib-face:upsample=0",
                                                  "dlib-face:detect=false", "dlib-face:jitters=2")}
    assert len(fps) == 5
    assert load_model("dlib-face:jitters=1").fingerprint() == load_model("dlib-face").fingerprint()
    for spec, needle in {"dlib-face:landmarks=7": "'landmarks'", "dlib-face:detect=maybe": "'detect'",
                         "dlib-face:upsample=-1": "'upsample'", "dlib-face:jitters=-2": "'jitters'"}.items():
        with pytest.raises(ConfigError, match=needle):
            load_model(spec)


def test_dlib_jitters_are_reproducible(faces):
    model = load_model("dlib-face:jitters=3").loaded()
    first = embed(model, [faces["astronaut"]])[0]
    embed(model, [faces["copy"]])
    np.testing.assert_array_equal(first, embed(model, [faces["astronaut"]])[0])
