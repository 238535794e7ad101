"""The Model tab's options: which base model to load, how to adapt it (LoRA, LyCORIS or full) and how to quantise it."""

from __future__ import annotations

from .spec import MODEL_FAMILIES, Kind, Option, Tab

# "bf16" (as the seeds' PixArt example writes it) keeps the base model unquantised in bf16, like no_change.
_PRECISIONS = ("no_change", "bf16", "int8-quanto", "int4-quanto", "int8-torchao", "fp8-torchao", "nf4-bnb")

OPTIONS: tuple[Option, ...] = (
    # Model
    Option(
        name="model_family",
        kind=Kind.CHOICE,
        default=None,
        help="The architecture of the base model you are training. Pick the family the checkpoint was released as.",
        tab=Tab.MODEL,
        group="Model",
        choices=MODEL_FAMILIES,
        required=True,
    ),
    Option(
        name="model_flavour",
        kind=Kind.STRING,
        default=None,
        help="A named variant within the family (for example dev or schnell for Flux). "
        "Leave it empty to use the family's usual release.",
        tab=Tab.MODEL,
        group="Model",
    ),
    Option(
        name="model_type",
        kind=Kind.CHOICE,
        default="lora",
        help="Train a small adapter (lora) or update every weight (full). "
        "LoRA needs far less memory; full fine-tunes usually need DeepSpeed or FSDP for large models.",
        tab=Tab.MODEL,
        group="Model",
        choices=("lora", "full"),
    ),
    Option(
        name="pretrained_model_name_or_path",
        kind=Kind.STRING,
        default=None,
        help="The Hugging Face Hub repository or local folder of the base model. It must match the model family.",
        tab=Tab.MODEL,
        group="Model",
        required=True,
    ),
    Option(
        name="pretrained_vae_model_name_or_path",
        kind=Kind.STRING,
        default=None,
        help="A different VAE to use instead of the one bundled with the base model. "
        "Leave it empty unless the bundled VAE is known to be broken in your precision.",
        tab=Tab.MODEL,
        group="Model",
    ),
    Option(
        name="revision",
        kind=Kind.STRING,
        default=None,
        help="The Hub branch, tag or commit of the base model to download. Leave it empty for the main branch.",
        tab=Tab.MODEL,
        group="Model",
    ),
    # LoRA
    Option(
        name="lora_type",
        kind=Kind.CHOICE,
        default="standard",
        help="Use a plain PEFT LoRA (standard) or a LyCORIS adapter such as LoKr (lycoris). "
        "LyCORIS reads its layout from lycoris_config.",
        tab=Tab.MODEL,
        group="LoRA",
        choices=("standard", "lycoris"),
    ),
    Option(
        name="lora_format",
        kind=Kind.CHOICE,
        default="diffusers",
        help="The key layout of the saved LoRA: diffusers (unet./transformer. keys, for diffusers' "
        "load_lora_weights) or comfyui (diffusion_model. keys, as ComfyUI's loaders expect).",
        tab=Tab.MODEL,
        group="LoRA",
        choices=("diffusers", "comfyui"),
    ),
    Option(
        name="lora_rank",
        kind=Kind.INT,
        default=16,
        help="The inner dimension of each LoRA layer. Higher ranks learn more detail but make larger, slower adapters.",
        tab=Tab.MODEL,
        group="LoRA",
        minimum=1,
    ),
    Option(
        name="lora_alpha",
        kind=Kind.FLOAT,
        default=None,
        help="Scales the LoRA update by alpha divided by rank. "
        "Leave it empty to use the rank, which gives a scale of 1.",
        tab=Tab.MODEL,
        group="LoRA",
        minimum=0,
    ),
    Option(
        name="lora_dropout",
        kind=Kind.FLOAT,
        default=0.1,
        help="The fraction of LoRA activations dropped during training. Small values such as 0.1 reduce overfitting.",
        tab=Tab.MODEL,
        group="LoRA",
        minimum=0,
        maximum=1,
    ),
    Option(
        name="lora_init_type",
        kind=Kind.CHOICE,
        default="default",
        help="How the LoRA weights are initialised. Keep default unless you are experimenting with PiSSA or OLoRA.",
        tab=Tab.MODEL,
        group="LoRA",
        choices=("default", "gaussian", "loftq", "olora", "pissa"),
    ),
    Option(
        name="lycoris_config",
        kind=Kind.PATH,
        default="config/lycoris_config.json",
        help="A JSON file describing the LyCORIS algorithm, factor and target modules. "
        "Only read when lora_type is lycoris.",
        tab=Tab.MODEL,
        group="LoRA",
    ),
    Option(
        name="init_lora",
        kind=Kind.PATH,
        default=None,
        help="An existing LoRA or LyCORIS file to start from instead of fresh weights. "
        "Its rank and layout must match your settings.",
        tab=Tab.MODEL,
        group="LoRA",
    ),
    Option(
        name="flux_lora_target",
        kind=Kind.CHOICE,
        default="all",
        help="Which Flux transformer layers receive LoRA weights. "
        "Larger sets learn more but train slower; tiny and nano make very small adapters.",
        tab=Tab.MODEL,
        group="LoRA",
        choices=("mmdit", "context", "context+ffs", "all", "all+ffs", "ai-toolkit", "tiny", "nano"),
        families=("flux",),
    ),
    # Quantisation
    Option(
        name="base_model_precision",
        kind=Kind.CHOICE,
        default="no_change",
        help="Quantise the frozen base model to save memory while training a LoRA. "
        "int8 keeps quality close to bf16; int4 and nf4 save more memory at some cost in quality.",
        tab=Tab.MODEL,
        group="Quantisation",
        choices=_PRECISIONS,
    ),
    Option(
        name="text_encoder_1_precision",
        kind=Kind.CHOICE,
        default="no_change",
        help="Quantise the first text encoder in the same way as the base model. "
        "Useful for the large T5 encoders of Flux and SD3 on small GPUs.",
        tab=Tab.MODEL,
        group="Quantisation",
        choices=_PRECISIONS,
    ),
    Option(
        name="quantize_via",
        kind=Kind.CHOICE,
        default="accelerator",
        help="Where the quantisation work happens. Use cpu when the unquantised model does not fit on the GPU.",
        tab=Tab.MODEL,
        group="Quantisation",
        choices=("cpu", "accelerator"),
    ),
)
