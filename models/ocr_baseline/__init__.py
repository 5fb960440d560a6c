"""The OCR baseline for document and chart QA: tesseract's words and the heuristics that pick an answer from them."""
