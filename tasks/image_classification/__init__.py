"""Image classification (the forward-gradient paper's MNIST, CIFAR-10 and ImageNet results, and any
classifier): top-1 / top-5 error, per-class errors, calibration, read from the sets' public formats."""
from pathlib import Path

from claimbench.harness.task_files import TaskFile

_here = Path(__file__).parent
mnist = TaskFile(_here / "mnist.yaml")
fashion_mnist = TaskFile(_here / "fashion_mnist.yaml")
cifar10 = TaskFile(_here / "cifar10.yaml")
imagenet = TaskFile(_here / "imagenet.yaml")
