"""What the text backends share: prompt text handling, few-shot prefix reuse, control tokens and GGUF metadata."""
