"""Image generators: image sets, Python callables and diffusers pipelines."""
