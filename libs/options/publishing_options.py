"""The Publishing tab's options: Hub uploads, model cards, experiment trackers and webhooks."""

from __future__ import annotations

from .spec import Kind, Option, Tab

OPTIONS: tuple[Option, ...] = (
    # Hub
    Option(
        name="push_to_hub",
        kind=Kind.BOOL,
        default=False,
        help="Upload the finished model and its model card to the Hugging Face Hub. Needs hub_model_id.",
        tab=Tab.PUBLISHING,
        group="Hub",
    ),
    Option(
        name="hub_model_id",
        kind=Kind.STRING,
        default=None,
        help="The Hub repository to upload to, as name or owner/name. It is created if it does not exist.",
        tab=Tab.PUBLISHING,
        group="Hub",
    ),
    Option(
        name="push_checkpoints_to_hub",
        kind=Kind.BOOL,
        default=False,
        help="Also upload each intermediate checkpoint as it is saved. Uses more upload bandwidth and Hub storage.",
        tab=Tab.PUBLISHING,
        group="Hub",
    ),
    Option(
        name="model_card_private",
        kind=Kind.BOOL,
        default=True,
        help="Create the Hub repository as private. Turn it off only when the model is ready to share.",
        tab=Tab.PUBLISHING,
        group="Hub",
        aliases=("push_to_hub_private",),
    ),
    Option(
        name="model_card_note",
        kind=Kind.STRING,
        default=None,
        help="A note placed at the top of the generated model card, such as usage tips or a licence reminder.",
        tab=Tab.PUBLISHING,
        group="Hub",
    ),
    # Tracking
    Option(
        name="report_to",
        kind=Kind.CHOICE,
        default="none",
        help="Where loss curves and validation images are logged. "
        "Choose simpletuner to keep them with the job on this platform, or an external tracker you have an "
        "account with.",
        tab=Tab.PUBLISHING,
        group="Tracking",
        choices=("none", "tensorboard", "wandb", "comet_ml", "simpletuner"),
    ),
    Option(
        name="tracker_project_name",
        kind=Kind.STRING,
        default="simpletuner-training",
        help="The project that runs are grouped under in the tracker. Use one project per model or experiment.",
        tab=Tab.PUBLISHING,
        group="Tracking",
    ),
    Option(
        name="tracker_run_name",
        kind=Kind.STRING,
        default="simpletuner-training-run",
        help="The name of this run in the tracker. A descriptive name makes runs easier to compare.",
        tab=Tab.PUBLISHING,
        group="Tracking",
    ),
    Option(
        name="tracker_image_layout",
        kind=Kind.CHOICE,
        default="gallery",
        help="How validation images are arranged in the tracker: a scrollable gallery or a table per step.",
        tab=Tab.PUBLISHING,
        group="Tracking",
        choices=("gallery", "table"),
    ),
    Option(
        name="custom_tracker",
        kind=Kind.STRING,
        default=None,
        help="The name of a custom tracker module to log to as well. "
        "It runs code on the training machine, so only administrators can set it.",
        tab=Tab.PUBLISHING,
        group="Tracking",
        permission="admin.config",
    ),
    # Webhooks
    Option(
        name="webhook_config",
        kind=Kind.JSON,
        default=None,
        help="Webhook targets (for example Discord or a raw JSON endpoint) that receive progress, errors and "
        "validation images. Leave it empty to send none.",
        tab=Tab.PUBLISHING,
        group="Webhooks",
    ),
    Option(
        name="webhook_reporting_interval",
        kind=Kind.INT,
        default=None,
        help="Send a progress update to raw webhooks every this many training steps. "
        "Leave it empty to send only on events such as checkpoints and errors.",
        tab=Tab.PUBLISHING,
        group="Webhooks",
        minimum=1,
    ),
)
