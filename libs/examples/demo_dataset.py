"""The tiny-demo dataset: coloured shapes on plain backgrounds with a caption file each, drawn in code so the
newcomer's first run needs no download (the shapes are easy enough for a tiny model to pick up quickly)."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 70), "blue": (40, 80, 220), "yellow": (235, 200, 40)}
BACKGROUNDS = {"white": (245, 245, 245), "black": (20, 20, 20), "grey": (128, 128, 128)}
SHAPES = ("circle", "square", "triangle")
SIZES = ((64, 64), (96, 64), (64, 96))


def _draw(
    shape: str, colour: tuple[int, int, int], background: tuple[int, int, int], size: tuple[int, int]
) -> Image.Image:
    image = Image.new("RGB", size, background)
    width, height = size
    side = min(width, height) * 0.6
    left, top = (width - side) / 2, (height - side) / 2
    box = (left, top, left + side, top + side)
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(width / 2, top), (left, top + side), (left + side, top + side)], fill=colour)
    return image


def write_demo_dataset(folder: Path, count: int = 24, seed: int = 0) -> Path:
    """Write `count` PNG images with same-named .txt captions into `folder` (kept if already complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.png"))) >= count:
        return folder
    chooser = random.Random(seed)
    for index in range(count):
        shape, colour, background = (
            chooser.choice(SHAPES),
            chooser.choice(list(COLOURS)),
            chooser.choice(list(BACKGROUNDS)),
        )
        image = _draw(shape, COLOURS[colour], BACKGROUNDS[background], SIZES[index % len(SIZES)])
        stem = f"shape-{index:03d}"
        image.save(folder / f"{stem}.png")
        (folder / f"{stem}.txt").write_text(f"a {colour} {shape} on a {background} background")
    return folder
