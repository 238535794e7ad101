"""The Training tab's options: data, schedule, optimiser, precision, loss, checkpoints and EMA."""

from __future__ import annotations

from .spec import Kind, Option, Tab

_SD = ("sd1x", "sd2x", "sdxl")
_DDPM = ("sd1x", "sd2x", "sdxl", "pixart_sigma")
_FLOW = ("flux", "sd3", "sana")

OPTIONS: tuple[Option, ...] = (
    # Data
    Option(
        name="data_backend_config",
        kind=Kind.PATH,
        default=None,
        help="The JSON file listing the datasets to train on and their caches. Every run needs one.",
        tab=Tab.TRAINING,
        group="Data",
        required=True,
    ),
    Option(
        name="resolution",
        kind=Kind.INT,
        default=1024,
        help="The training resolution in pixels along the shorter edge (or per side for square images). "
        "Match the resolution the base model was trained at, such as 512 for SD 1.x or 1024 for SDXL and Flux.",
        tab=Tab.TRAINING,
        group="Data",
        minimum=64,
    ),
    Option(
        name="resolution_type",
        kind=Kind.CHOICE,
        default="pixel",
        help="How resolution is measured: the shorter edge in pixels (pixel), megapixels (area), "
        "or a pixel value converted to the equivalent area (pixel_area).",
        tab=Tab.TRAINING,
        group="Data",
        choices=("pixel", "area", "pixel_area"),
    ),
    Option(
        name="minimum_image_size",
        kind=Kind.FLOAT,
        default=None,
        help="Images smaller than this, in the units of resolution_type, are skipped. "
        "Leave it empty to keep every image.",
        tab=Tab.TRAINING,
        group="Data",
        minimum=0,
    ),
    Option(
        name="caption_dropout_probability",
        kind=Kind.FLOAT,
        default=0.0,
        help="The chance that an image is trained with an empty caption. "
        "Values around 0.05 to 0.1 help classifier-free guidance; use 0 to always keep captions.",
        tab=Tab.TRAINING,
        group="Data",
        minimum=0,
        maximum=1,
    ),
    # Schedule
    Option(
        name="num_train_epochs",
        kind=Kind.INT,
        default=1,
        help="How many passes over the dataset to make. Ignored when max_train_steps is set.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=0,
    ),
    Option(
        name="max_train_steps",
        kind=Kind.INT,
        default=None,
        help="Stop after this many optimiser steps, whatever the epoch count. "
        "Leave it empty to train for num_train_epochs instead.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=0,
    ),
    Option(
        name="train_batch_size",
        kind=Kind.INT,
        default=1,
        help="Images per GPU per forward pass. Raise it while memory allows; larger batches give smoother updates.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=1,
    ),
    Option(
        name="gradient_accumulation_steps",
        kind=Kind.INT,
        default=1,
        help="Forward passes to accumulate before each optimiser step. "
        "It multiplies the effective batch size without using more memory, but slows each step.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=1,
    ),
    Option(
        name="lr_scheduler",
        kind=Kind.CHOICE,
        default="constant",
        help="How the learning rate changes over the run. "
        "constant suits short LoRA runs; cosine or polynomial decay help longer runs settle.",
        tab=Tab.TRAINING,
        group="Schedule",
        choices=("constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial"),
    ),
    Option(
        name="lr_warmup_steps",
        kind=Kind.INT,
        default=0,
        help="Steps over which the learning rate ramps up from zero. "
        "A short warmup (around 5% of the run) avoids unstable early updates.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=0,
    ),
    Option(
        name="lr_num_cycles",
        kind=Kind.INT,
        default=1,
        help="How many times the cosine_with_restarts schedule restarts. Ignored by the other schedulers.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=1,
    ),
    Option(
        name="lr_power",
        kind=Kind.FLOAT,
        default=0.8,
        help="The exponent of the polynomial schedule's decay. 1.0 decays linearly; lower values decay later.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=0,
    ),
    Option(
        name="seed",
        kind=Kind.INT,
        default=None,
        help="The random seed for noise, timesteps and shuffling. Set a number to make runs repeatable.",
        tab=Tab.TRAINING,
        group="Schedule",
        minimum=0,
    ),
    # Optimizer
    Option(
        name="learning_rate",
        kind=Kind.FLOAT,
        default=1e-4,
        help="The peak step size of the optimiser. "
        "LoRA usually trains well around 1e-4; full fine-tunes need much lower values such as 1e-6.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
    ),
    Option(
        name="optimizer",
        kind=Kind.CHOICE,
        default="adamw_bf16",
        help="The optimisation algorithm. adamw_bf16 is a good default; "
        "adamw8bit and adafactor save memory, and prodigy picks its own learning rate (set learning_rate to 1).",
        tab=Tab.TRAINING,
        group="Optimizer",
        choices=("adamw", "adamw_bf16", "adamw8bit", "lion", "prodigy", "adafactor"),
    ),
    Option(
        name="adam_beta1",
        kind=Kind.FLOAT,
        default=0.9,
        help="The decay rate of the first-moment (momentum) estimate for Adam-style optimisers. Rarely needs changing.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
        maximum=1,
    ),
    Option(
        name="adam_beta2",
        kind=Kind.FLOAT,
        default=0.999,
        help="The decay rate of the second-moment estimate for Adam-style optimisers. Rarely needs changing.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
        maximum=1,
    ),
    Option(
        name="adam_weight_decay",
        kind=Kind.FLOAT,
        default=1e-2,
        help="Decoupled weight decay that pulls weights towards zero. Raise it slightly if the model overfits.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
    ),
    Option(
        name="adam_epsilon",
        kind=Kind.FLOAT,
        default=1e-8,
        help="A small constant added to the optimiser's denominator for numerical stability. Keep the default.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
    ),
    Option(
        name="max_grad_norm",
        kind=Kind.FLOAT,
        default=2.0,
        help="Gradients are clipped to this total norm before each step. "
        "Lower it (for example to 1.0) if the loss spikes; 0 turns clipping off.",
        tab=Tab.TRAINING,
        group="Optimizer",
        minimum=0,
    ),
    # Text encoder
    Option(
        name="train_text_encoder",
        kind=Kind.BOOL,
        default=False,
        help="Also train the CLIP text encoder. It can help new concepts but uses more memory and overfits easily.",
        tab=Tab.TRAINING,
        group="Text encoder",
        families=_SD,
    ),
    Option(
        name="text_encoder_lr",
        kind=Kind.FLOAT,
        default=None,
        help="A separate learning rate for the text encoder when train_text_encoder is on. "
        "Leave it empty to use learning_rate.",
        tab=Tab.TRAINING,
        group="Text encoder",
        families=_SD,
        minimum=0,
    ),
    Option(
        name="clip_skip",
        kind=Kind.INT,
        default=0,
        help="Use the output of an earlier CLIP layer, skipping this many final layers. "
        "Keep 0 unless the base model was trained with clip skip (common for anime SD 1.x models).",
        tab=Tab.TRAINING,
        group="Text encoder",
        families=_SD,
        minimum=0,
    ),
    # Precision and memory
    Option(
        name="mixed_precision",
        kind=Kind.CHOICE,
        default="bf16",
        help="The precision of the training computations. "
        "bf16 suits modern GPUs; use fp16 only on older cards, and no for full fp32.",
        tab=Tab.TRAINING,
        group="Memory",
        choices=("bf16", "fp16", "no"),
    ),
    Option(
        name="gradient_checkpointing",
        kind=Kind.BOOL,
        default=False,
        help="Recompute activations during the backward pass instead of storing them. "
        "Turn it on to fit larger models or batches, at roughly 20-30% slower steps.",
        tab=Tab.TRAINING,
        group="Memory",
    ),
    # Loss
    Option(
        name="loss_type",
        kind=Kind.CHOICE,
        default="l2",
        help="The loss between predicted and target noise. "
        "l2 is standard; huber and smooth_l1 are less sensitive to outlier images.",
        tab=Tab.TRAINING,
        group="Loss",
        choices=("l2", "huber", "smooth_l1"),
    ),
    Option(
        name="huber_schedule",
        kind=Kind.CHOICE,
        default="snr",
        help="How the Huber threshold changes with the timestep when loss_type is huber or smooth_l1. "
        "snr is a sensible default.",
        tab=Tab.TRAINING,
        group="Loss",
        choices=("snr", "exponential", "constant"),
    ),
    Option(
        name="huber_c",
        kind=Kind.FLOAT,
        default=0.1,
        help="The Huber threshold between quadratic and linear loss. Smaller values are more robust to outliers.",
        tab=Tab.TRAINING,
        group="Loss",
        minimum=0,
    ),
    Option(
        name="snr_gamma",
        kind=Kind.FLOAT,
        default=None,
        help="Min-SNR loss weighting, which down-weights easy timesteps. "
        "5 is the usual value; leave it empty to turn weighting off.",
        tab=Tab.TRAINING,
        group="Loss",
        families=_DDPM,
        minimum=0,
    ),
    Option(
        name="noise_offset",
        kind=Kind.FLOAT,
        default=0.1,
        help="Adds a small per-channel offset to the training noise, helping the model learn very dark "
        "and very bright images. Use 0 to turn it off.",
        tab=Tab.TRAINING,
        group="Loss",
        families=_DDPM,
        minimum=0,
    ),
    Option(
        name="noise_offset_probability",
        kind=Kind.FLOAT,
        default=0.25,
        help="The fraction of steps that apply noise_offset. Lower it if images drift darker or brighter overall.",
        tab=Tab.TRAINING,
        group="Loss",
        families=_DDPM,
        minimum=0,
        maximum=1,
    ),
    Option(
        name="rescale_betas_zero_snr",
        kind=Kind.BOOL,
        default=False,
        help="Rescale the noise schedule so the last timestep is pure noise. "
        "Turn it on for models trained with zero terminal SNR, usually together with v-prediction.",
        tab=Tab.TRAINING,
        group="Loss",
        families=_SD,
    ),
    Option(
        name="training_scheduler_timestep_spacing",
        kind=Kind.CHOICE,
        default="trailing",
        help="How training timesteps are spaced across the noise schedule. "
        "trailing pairs well with rescale_betas_zero_snr; leading matches the original SD schedulers.",
        tab=Tab.TRAINING,
        group="Loss",
        choices=("leading", "linspace", "trailing"),
        families=_SD,
    ),
    # Flow matching
    Option(
        name="flow_sampling_timesteps",
        kind=Kind.CHOICE,
        default="sigmoid",
        help="How training timesteps are drawn for flow-matching models. "
        "sigmoid and logit_normal focus on the middle of the schedule; uniform samples every timestep equally.",
        tab=Tab.TRAINING,
        group="Flow matching",
        choices=("uniform", "logit_normal", "sigmoid"),
        families=_FLOW,
    ),
    Option(
        name="flow_schedule_shift",
        kind=Kind.FLOAT,
        default=3.0,
        help="Shifts sampled timesteps towards noisier steps. "
        "Higher values favour composition, lower values (down to 0) favour fine detail.",
        tab=Tab.TRAINING,
        group="Flow matching",
        families=_FLOW,
        minimum=0,
    ),
    Option(
        name="flow_schedule_auto_shift",
        kind=Kind.BOOL,
        default=False,
        help="Pick the shift from each image's resolution instead of flow_schedule_shift. "
        "Helpful when training on mixed resolutions.",
        tab=Tab.TRAINING,
        group="Flow matching",
        families=_FLOW,
    ),
    Option(
        name="flux_guidance_mode",
        kind=Kind.CHOICE,
        default="constant",
        help="How the guidance value fed to Flux's guidance embedding is chosen during training: "
        "one fixed value, or a random value per sample.",
        tab=Tab.TRAINING,
        group="Flow matching",
        choices=("constant", "random-range"),
        families=("flux",),
    ),
    Option(
        name="flux_guidance_value",
        kind=Kind.FLOAT,
        default=1.0,
        help="The guidance value used when flux_guidance_mode is constant. 1.0 keeps the LoRA usable at any guidance.",
        tab=Tab.TRAINING,
        group="Flow matching",
        families=("flux",),
        minimum=0,
    ),
    # EMA
    Option(
        name="use_ema",
        kind=Kind.BOOL,
        default=False,
        help="Keep an exponential moving average of the weights and save it alongside the trained model. "
        "It smooths results but costs a full copy of the trained weights in memory.",
        tab=Tab.TRAINING,
        group="EMA",
    ),
    Option(
        name="ema_decay",
        kind=Kind.FLOAT,
        default=0.995,
        help="How slowly the EMA follows the trained weights. Values closer to 1 average over more steps.",
        tab=Tab.TRAINING,
        group="EMA",
        minimum=0,
        maximum=1,
    ),
    # Checkpoints
    Option(
        name="output_dir",
        kind=Kind.PATH,
        default=None,  # no fallback: two runs sharing one would resume from each other's checkpoints
        help="The folder that receives checkpoints and the final model. Use a different folder for each run.",
        tab=Tab.TRAINING,
        group="Checkpoints",
        required=True,
    ),
    Option(
        name="checkpointing_steps",
        kind=Kind.INT,
        default=500,
        help="Save a resumable checkpoint every this many steps. Lower it for short runs or unreliable machines.",
        tab=Tab.TRAINING,
        group="Checkpoints",
        minimum=1,
    ),
    Option(
        name="checkpoints_total_limit",
        kind=Kind.INT,
        default=None,
        help="Keep at most this many checkpoints, deleting the oldest first. Leave it empty to keep them all.",
        tab=Tab.TRAINING,
        group="Checkpoints",
        minimum=1,
    ),
    Option(
        name="resume_from_checkpoint",
        kind=Kind.STRING,
        default="latest",
        help="Continue from a saved checkpoint: latest picks the newest in output_dir, or give a checkpoint folder "
        "name. Leave it empty to start fresh.",
        tab=Tab.TRAINING,
        group="Checkpoints",
        allow_empty=True,
    ),
)
