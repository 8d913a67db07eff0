"""Colour contrast of the stylesheet's palette meets WCAG 2.1 AA (4.5:1 for text),
in light and dark mode, for every text/background pair the pages use."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def _palettes() -> dict[str, dict[str, str]]:
    text = CSS.read_text(encoding="utf-8")
    blocks = re.findall(r":root\s*\{([^}]*)\}", text)
    assert len(blocks) >= 2, "expected a light and a dark :root palette"
    parse = lambda block: dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))  # noqa: E731
    return {"light": parse(blocks[0]), "dark": parse(blocks[1])}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    r, g, b = linear
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


# (text, background) by variable name, or a literal colour.
PAIRS = [
    ("fg", "bg"),
    ("fg", "card"),
    ("muted", "bg"),
    ("muted", "card"),
    ("accent", "bg"),  # links
    ("accent", "card"),
    ("bad", "bg"),  # errors
    ("ok", "bg"),  # confirmations
    ("ok", "card"),
    ("bg", "accent"),  # button text on the accent
]


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_contrast_is_at_least_aa(mode, text, background):
    palette = _palettes()[mode]
    ratio = contrast(palette[text], palette[background])
    assert ratio >= 4.5, f"{mode}: --{text} on --{background} is {ratio:.2f}:1"


def test_danger_buttons_are_readable():
    light, dark = _palettes()["light"], _palettes()["dark"]
    assert contrast("#ffffff", light["bad"]) >= 4.5
    assert contrast("#0d1117", dark["bad"]) >= 4.5


def test_the_contrast_maths_is_right():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
