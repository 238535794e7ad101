"""The Advanced tab's options: distributed training, attention, caches, data loading and hook scripts."""

from __future__ import annotations

from .spec import Kind, Option, Tab

OPTIONS: tuple[Option, ...] = (
    # Distributed
    Option(
        name="num_processes",
        kind=Kind.INT,
        default=1,
        help="GPUs (one training process each) the job needs. The queue waits until that many are free "
        "and gives the run exactly those (its CUDA_VISIBLE_DEVICES); the effective batch is "
        "train_batch_size x gradient_accumulation_steps x num_processes.",
        tab=Tab.ADVANCED,
        group="Distributed",
        minimum=1,
        maximum=64,
    ),
    Option(
        name="accelerate_visible_devices",
        kind=Kind.STRING,
        default=None,
        help='The GPU ids this job should use, comma-separated ("0,1"); empty takes any free GPUs. '
        "The queue waits for exactly these unless the job is submitted with any_gpu.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    Option(
        name="accelerate_config",
        kind=Kind.PATH,
        default=None,
        help="An Accelerate config file describing GPUs, processes and machines. "
        "Leave it empty to train on a single GPU.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    Option(
        name="deepspeed_stage",
        kind=Kind.CHOICE,
        default="0",
        help="The DeepSpeed ZeRO stage for full fine-tunes (model_type full); higher stages shard more state "
        "across GPUs to save memory. 0 turns DeepSpeed off. Needs the deepspeed extra "
        "(pip install 'simpletuner[deepspeed]').",
        tab=Tab.ADVANCED,
        group="Distributed",
        choices=("0", "1", "2", "3"),
    ),
    Option(
        name="deepspeed_config",
        kind=Kind.PATH,
        default=None,
        help="A DeepSpeed JSON config file (or the JSON itself) that replaces the one built from deepspeed_stage. "
        "It needs a zero_optimization section and no optimizer or scheduler section; the run's batch size, "
        "gradient accumulation and precision are filled in. Its offload_optimizer needs optimizer adamw.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    Option(
        name="fsdp_enable",
        kind=Kind.BOOL,
        default=False,
        help="Shard the model across GPUs with PyTorch FSDP2. "
        "Use it for full fine-tunes that do not fit on one GPU; do not combine it with DeepSpeed.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    Option(
        name="fsdp_version",
        kind=Kind.INT,
        default=2,
        help="The FSDP API version. Only 2 (the DTensor-based FSDP2) is supported; FSDP1 is deprecated.",
        tab=Tab.ADVANCED,
        group="Distributed",
        minimum=1,
        maximum=2,
    ),
    Option(
        name="fsdp_reshard_after_forward",
        kind=Kind.BOOL,
        default=True,
        help="Free the gathered weights after each forward pass and gather them again for the backward "
        "(less memory, more communication). Turn it off to keep them until the backward.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    Option(
        name="fsdp_state_dict_type",
        kind=Kind.CHOICE,
        default="SHARDED_STATE_DICT",
        help="How FSDP writes checkpoints: each process its own shard (SHARDED_STATE_DICT, fast), "
        "or the whole model gathered on the main process (FULL_STATE_DICT, needs its memory).",
        tab=Tab.ADVANCED,
        group="Distributed",
        choices=("SHARDED_STATE_DICT", "FULL_STATE_DICT"),
    ),
    Option(
        name="fsdp_auto_wrap_policy",
        kind=Kind.CHOICE,
        default="TRANSFORMER_BASED_WRAP",
        help="Which modules FSDP shards separately: the model's transformer blocks (TRANSFORMER_BASED_WRAP), "
        "modules by size (SIZE_BASED_WRAP), or only the whole model (NO_WRAP).",
        tab=Tab.ADVANCED,
        group="Distributed",
        choices=("TRANSFORMER_BASED_WRAP", "SIZE_BASED_WRAP", "NO_WRAP"),
    ),
    Option(
        name="fsdp_transformer_layer_cls_to_wrap",
        kind=Kind.STRING,
        default=None,
        help="Comma-separated class names of the blocks to shard with TRANSFORMER_BASED_WRAP "
        "(for example BasicTransformerBlock). Leave it empty to use the model's own list of blocks.",
        tab=Tab.ADVANCED,
        group="Distributed",
    ),
    # Performance
    Option(
        name="attention_mechanism",
        kind=Kind.CHOICE,
        default="diffusers",
        help="The attention implementation. diffusers uses PyTorch's built-in attention and suits most GPUs; "
        "xformers can save memory on older cards.",
        tab=Tab.ADVANCED,
        group="Performance",
        choices=("diffusers", "xformers"),
    ),
    # Caches
    Option(
        name="cache_dir",
        kind=Kind.PATH,
        default="cache",
        help="The base folder for the trainer's caches. The VAE and text caches go below it unless set separately.",
        tab=Tab.ADVANCED,
        group="Caches",
    ),
    Option(
        name="cache_dir_vae",
        kind=Kind.PATH,
        default=None,
        help="Where encoded image latents are cached. Leave it empty to use a vae folder under cache_dir; "
        "fast local storage speeds up training.",
        tab=Tab.ADVANCED,
        group="Caches",
    ),
    Option(
        name="cache_dir_text",
        kind=Kind.PATH,
        default=None,
        help="Where text-encoder embeddings are cached. Leave it empty to use a text folder under cache_dir.",
        tab=Tab.ADVANCED,
        group="Caches",
    ),
    Option(
        name="vae_batch_size",
        kind=Kind.INT,
        default=4,
        help="Images encoded at once while filling the latent cache. Lower it if caching runs out of memory.",
        tab=Tab.ADVANCED,
        group="Caches",
        minimum=1,
    ),
    Option(
        name="vae_cache_ondemand",
        kind=Kind.BOOL,
        default=False,
        help="Encode latents as images are first used instead of all before training. "
        "Starts faster but makes the first epoch slower.",
        tab=Tab.ADVANCED,
        group="Caches",
    ),
    # Data loading
    Option(
        name="dataloader_prefetch",
        kind=Kind.BOOL,
        default=False,
        help="Load upcoming batches in the background while the GPU works. "
        "Helps when data comes from slow or remote storage.",
        tab=Tab.ADVANCED,
        group="Data loading",
    ),
    Option(
        name="dataloader_prefetch_qlen",
        kind=Kind.INT,
        default=10,
        help="How many batches to keep ready when dataloader_prefetch is on. More batches use more system memory.",
        tab=Tab.ADVANCED,
        group="Data loading",
        minimum=1,
    ),
    Option(
        name="conditioning_multidataset_sampling",
        kind=Kind.CHOICE,
        default="random",
        help="With several conditioning datasets, use all of them for every sample (combined) "
        "or pick one at random each time (random).",
        tab=Tab.ADVANCED,
        group="Data loading",
        choices=("combined", "random"),
    ),
    Option(
        name="allow_dataset_oversubscription",
        kind=Kind.BOOL,
        default=False,
        help="Let datasets repeat automatically when they have fewer images than the batch size and GPU count need. "
        "Without it, such datasets stop the run with an error.",
        tab=Tab.ADVANCED,
        group="Data loading",
    ),
    Option(
        name="max_workers",
        kind=Kind.INT,
        default=32,
        help="Worker threads for scanning and preprocessing images. Lower it on machines with few CPU cores.",
        tab=Tab.ADVANCED,
        group="Data loading",
        minimum=1,
    ),
    # Logging
    Option(
        name="logging_dir",
        kind=Kind.PATH,
        default="logs",
        help="The folder, relative to output_dir, where tracker logs such as TensorBoard events are written.",
        tab=Tab.ADVANCED,
        group="Logging",
    ),
    # Hooks
    Option(
        name="post_checkpoint_script",
        kind=Kind.PATH,
        default=None,
        help="A script run after each checkpoint is saved, given the checkpoint path. "
        "It runs on the training machine, so only administrators can set it.",
        tab=Tab.ADVANCED,
        group="Hooks",
        permission="admin.config",
    ),
    Option(
        name="post_upload_script",
        kind=Kind.PATH,
        default=None,
        help="A script run after each Hub upload finishes, given the uploaded location. "
        "It runs on the training machine, so only administrators can set it.",
        tab=Tab.ADVANCED,
        group="Hooks",
        permission="admin.config",
    ),
)
