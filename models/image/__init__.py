"""Image embedders and classifiers (ONNX Runtime, torch modules, timm, dlib) with their shared preprocessing and outputs."""
