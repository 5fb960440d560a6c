"""transformers backend: the adapter, its continuous-batching decoder, weight loading (GGUF dequantized), stop strings and the logit lens."""
