"""The Validation tab's options: the sample images rendered during training, and how and when they are made."""

from __future__ import annotations

from .spec import Kind, Option, Tab

OPTIONS: tuple[Option, ...] = (
    # Validation
    Option(
        name="validation_prompt",
        kind=Kind.STRING,
        default=None,
        help="The prompt rendered at each validation. Use your trigger word or a typical caption to watch "
        "the concept being learnt.",
        tab=Tab.VALIDATION,
        group="Validation",
    ),
    Option(
        name="validation_negative_prompt",
        kind=Kind.STRING,
        default="blurry, cropped, ugly",
        help="What validation images should avoid. Ignored by models that run without classifier-free guidance.",
        tab=Tab.VALIDATION,
        group="Validation",
        allow_empty=True,
    ),
    Option(
        name="validation_resolution",
        kind=Kind.STRING,
        default="1024",
        help='The size of validation images: one number for squares ("1024") or WIDTHxHEIGHT ("1024x768"). '
        "Separate several sizes with commas.",
        tab=Tab.VALIDATION,
        group="Validation",
    ),
    Option(
        name="validation_steps",
        kind=Kind.INT,
        default=100,
        help="Render validation images every this many training steps. Raise it to spend less time on validation.",
        tab=Tab.VALIDATION,
        group="Validation",
        minimum=1,
    ),
    Option(
        name="num_validation_images",
        kind=Kind.INT,
        default=1,
        help="How many images to render for each validation prompt. More images show variety but take longer.",
        tab=Tab.VALIDATION,
        group="Validation",
        minimum=1,
    ),
    Option(
        name="validation_seed",
        kind=Kind.INT,
        default=None,
        help="A fixed seed for validation images so that runs compare like with like. "
        "Leave it empty for a new seed each time.",
        tab=Tab.VALIDATION,
        group="Validation",
        minimum=0,
    ),
    Option(
        name="validation_prompt_library",
        kind=Kind.BOOL,
        default=False,
        help="Also render the built-in library of varied prompts. Good for spotting damage to unrelated concepts.",
        tab=Tab.VALIDATION,
        group="Validation",
    ),
    Option(
        name="user_prompt_library",
        kind=Kind.PATH,
        default=None,
        help="A JSON file mapping short names to your own validation prompts. Each prompt is rendered at every "
        "validation.",
        tab=Tab.VALIDATION,
        group="Validation",
    ),
    # Sampling
    Option(
        name="validation_num_inference_steps",
        kind=Kind.INT,
        default=30,
        help="Denoising steps per validation image. 20 to 30 is enough to judge progress; more steps are slower.",
        tab=Tab.VALIDATION,
        group="Sampling",
        minimum=1,
        maximum=1000,
    ),
    Option(
        name="validation_guidance",
        kind=Kind.FLOAT,
        default=7.5,
        help="The guidance scale for validation images. "
        "SD models usually use 5 to 8; Flux and other distilled models work best around 3 to 4.",
        tab=Tab.VALIDATION,
        group="Sampling",
        minimum=0,
    ),
    Option(
        name="validation_guidance_rescale",
        kind=Kind.FLOAT,
        default=0.0,
        help="Rescales guided predictions to avoid over-exposure, mainly for zero-terminal-SNR models. "
        "0.7 is a common value; 0 turns it off.",
        tab=Tab.VALIDATION,
        group="Sampling",
        families=("sd1x", "sd2x", "sdxl"),
        minimum=0,
        maximum=1,
    ),
    Option(
        name="validation_guidance_real",
        kind=Kind.FLOAT,
        default=1.0,
        help="True classifier-free guidance for Flux validation, which also uses the negative prompt. "
        "Keep 1.0 (off) unless you trained a de-distilled model; higher values double the render time.",
        tab=Tab.VALIDATION,
        group="Sampling",
        families=("flux",),
        minimum=1,
    ),
    Option(
        name="validation_torch_compile",
        kind=Kind.BOOL,
        default=False,
        help="Compile the validation pipeline with torch.compile. "
        "It speeds up frequent validations after a slow first one.",
        tab=Tab.VALIDATION,
        group="Sampling",
    ),
    # Preview
    Option(
        name="validation_preview",
        kind=Kind.BOOL,
        default=False,
        help="Stream low-resolution previews of validation images while they are being denoised. "
        "Needs a tracker that shows live images.",
        tab=Tab.VALIDATION,
        group="Preview",
    ),
    Option(
        name="validation_preview_steps",
        kind=Kind.INT,
        default=1,
        help="Send a preview every this many denoising steps. Raise it to reduce preview overhead.",
        tab=Tab.VALIDATION,
        group="Preview",
        minimum=1,
    ),
    # Method
    Option(
        name="validation_method",
        kind=Kind.CHOICE,
        default="simpletuner-local",
        help="Render validation images inside the trainer (simpletuner-local) or hand each checkpoint "
        "to your own script (external-script).",
        tab=Tab.VALIDATION,
        group="Method",
        choices=("simpletuner-local", "external-script"),
    ),
    Option(
        name="validation_external_script",
        kind=Kind.PATH,
        default=None,
        help="The command run for each validation when validation_method is external-script. "
        "It runs on the training machine, so only administrators can set it.",
        tab=Tab.VALIDATION,
        group="Method",
        permission="admin.config",
    ),
    Option(
        name="validation_external_background",
        kind=Kind.BOOL,
        default=False,
        help="Run the external validation script in the background so that training does not wait for it.",
        tab=Tab.VALIDATION,
        group="Method",
    ),
)
