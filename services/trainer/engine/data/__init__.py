"""The engine's data side: dataset discovery, aspect buckets, caches and the batch sampler."""
