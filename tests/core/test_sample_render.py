"""Samples drawn with Pillow (core/samples): a mask overlaid in the class palette, boxes at
their coordinates, a waveform plot of the asked size, and the text of rows, tokens and
outputs."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from deploy_studio.core.samples import describe, render


def test_a_mask_is_blended_in_its_class_colour_and_the_background_is_kept():
    image = np.full((8, 8, 1), 100, np.uint8)
    mask = np.zeros((8, 8), np.int64)
    mask[2:5, 3:6] = 2
    out = render.overlay_mask(image, mask, ["bg", "a", "b"], alpha=0.5, legend=False, min_side=0)
    assert out.size == (8, 8)
    want = tuple(round(100 * 0.5 + c * 0.5) for c in render.class_colour(2))
    assert out.getpixel((4, 3)) == want  # a masked pixel (x=4, y=3)
    assert out.getpixel((0, 0)) == (100, 100, 100)  # background: the image itself
    with_legend = render.overlay_mask(image, mask, ["bg", "a", "b"], min_side=64)
    assert with_legend.width == 64 and with_legend.height > 64  # enlarged 8x, legend below
    strip = np.asarray(with_legend)[64:]
    assert (strip.reshape(-1, 3) == render.class_colour(2)).all(1).any()  # class b's swatch


def test_boxes_are_drawn_at_their_coordinates_and_truth_is_dashed():
    image = np.zeros((40, 40, 3), np.uint8)
    box = np.array([[5, 6, 20, 30]], np.float32)
    out = render.draw_boxes(image, box, np.array([1]), np.array([0.9]), ["bg", "cat"], min_side=0)
    assert out.size == (40, 40)
    colour = render.class_colour(1)
    assert out.getpixel((5, 20)) == colour  # left edge
    assert out.getpixel((19, 20)) == colour  # right edge (x1 exclusive)
    assert out.getpixel((12, 29)) == colour  # bottom edge
    assert out.getpixel((12, 20)) == (0, 0, 0)  # inside untouched
    truth = render.draw_boxes(image, truth_boxes=box, truth_labels=np.array([1]), min_side=0)
    top = [truth.getpixel((x, 6)) for x in range(5, 20)]
    assert render.TRUTH_COLOUR in top and (0, 0, 0) in top  # dashes and gaps


def test_a_waveform_plot_has_the_asked_size_and_a_line():
    t = np.linspace(0, 1, 8000, endpoint=False)
    out = render.waveform_image(np.sin(2 * np.pi * 5 * t), 200, 60, sample_rate=8000)
    assert out.size == (200, 60)
    a = np.asarray(out)
    assert (a.reshape(-1, 3) == render.WAVE_COLOUR).all(1).sum() > 200
    png = render.waveform_png(np.zeros(10), 50, 20)
    assert Image.open(io.BytesIO(png)).size == (50, 20)


def test_float_model_inputs_are_shown_scaled_and_pngs_open():
    x = np.linspace(-1, 1, 2 * 10 * 12, dtype=np.float32).reshape(1, 20, 12)[:, :10]
    img = render.display_image(x)
    assert img.shape == (10, 12, 1) and img.dtype == np.uint8 and img.max() == 255
    assert render.is_image_input((1, 28, 28)) and not render.is_image_input((8,))
    png = render.mask_png(img, np.ones((10, 12), np.int64), min_side=0)
    assert Image.open(io.BytesIO(png)).size[0] == 12


def test_texts_of_rows_tokens_and_outputs():
    assert describe.row_text(["age", "bmi"], np.array([41.0, 22.5])) == "age=41, bmi=22.5"
    assert describe.table_row(None, np.array([1.0]))[0] == ("f0", "1")
    assert describe.token_list(np.array([3, 1, 4])) == "[3, 1, 4]"
    assert describe.token_text(np.array([0, 2, 9]), ["the", "a", "cat"]) == "the cat <9>"
    assert describe.token_text(np.array([1]), None) is None
    text = describe.input_text("tokens", np.array([1, 2]), ["x", "y", "z"])
    assert text.startswith("tokens: [1, 2]") and "y z" in text
    s = describe.summarize_output("logits", np.array([[0.5, 3.0, -1.0]]))
    assert s["shape"] == [1, 3] and s["max"] == 3.0 and s["top"][0] == (1, 3.0)
    line = describe.summary_text(s)
    assert line.startswith("logits [1, 3]: min -1, max 3, mean 0.8333") and "[1]=3" in line
    assert describe.cosine(np.ones(3), 2 * np.ones(3)) == 1.0
