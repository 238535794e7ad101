"""Tiny tokenizers built in code (no vocabulary ships in any package): CLIP BPE, T5 unigram and Gemma BPE."""

from __future__ import annotations

import string

from transformers import CLIPTokenizer, GemmaTokenizer, T5Tokenizer

CHARACTERS = list(string.ascii_lowercase + string.digits + ".,!?'-")


def clip_tokenizer(max_length: int = 77) -> CLIPTokenizer:
    """Character-level CLIP tokenizer: every character, alone and word-final."""
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for character in CHARACTERS:
        vocab.setdefault(character, len(vocab))
        vocab.setdefault(f"{character}</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def t5_tokenizer(max_length: int = 128) -> T5Tokenizer:
    """Character-level T5 (unigram) tokenizer."""
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -1.0)] + [(c, -1.0) for c in CHARACTERS]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=max_length)


def gemma_tokenizer(max_length: int = 128) -> GemmaTokenizer:
    """Character-level Gemma (BPE) tokenizer, as Sana's text encoder uses."""
    special = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    vocab = {token: index for index, token in enumerate([*special, "▁", *CHARACTERS])}
    return GemmaTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def vocab_size(tokenizer: CLIPTokenizer | T5Tokenizer | GemmaTokenizer) -> int:
    """The embedding rows a text encoder needs for this tokenizer."""
    return len(tokenizer)
