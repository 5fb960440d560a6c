"""llama.cpp backend: the adapter, its multi-sequence batch decoder and the CPU-core count it sizes threads by."""
