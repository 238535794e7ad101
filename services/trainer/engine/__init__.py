"""The training engine: turns a resolved config into a fine-tuned diffusion model (imported only by training runs)."""
