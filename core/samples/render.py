"""Draw samples with Pillow (no Qt): a segmentation mask over its image, boxes over an image,
a waveform as a small line plot, and PNG bytes of any of them.

Every function takes plain numpy arrays (uint8 images ``[H, W, C]`` with C = 1 or 3, or a
model's float input ``[C, H, W]``) and returns a ``PIL.Image`` in RGB; the window turns the
PNG bytes into a pixmap, the report writes them as ``samples/*.png``. Small images are
enlarged by a whole factor (nearest neighbour) so that a 28x28 sample stays readable; the
boxes and masks are scaled with them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),  # class 0: usually background (not tinted, see ``background``)
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (255, 250, 200),
    (128, 0, 0),
    (170, 255, 195),
    (128, 128, 0),
    (255, 215, 180),
    (0, 0, 128),
)
"""The fixed class palette: class ``c`` is ``PALETTE[c % 20]`` (classes past 19 repeat)."""

TRUTH_COLOUR = (255, 255, 255)
TRUTH_SHADOW = (0, 0, 0)
WAVE_COLOUR = (76, 114, 176)
MIN_SIDE = 192  # images smaller than this are enlarged by a whole factor


def class_colour(c: int) -> tuple[int, int, int]:
    """The palette colour of class ``c``."""
    return PALETTE[int(c) % len(PALETTE)]


def font(size: int = 11):
    """A small font (Pillow's bundled one when no TrueType font is found)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow < 10.1
        return ImageFont.load_default()


def class_name(c: int, classes: Sequence[str] | None) -> str:
    return str(classes[c]) if classes and 0 <= c < len(classes) else str(c)


# --- images -------------------------------------------------------------------------------


def to_rgb(image: np.ndarray) -> Image.Image:
    """uint8 ``[H, W]``, ``[H, W, 1]`` or ``[H, W, 3]`` -> an RGB image; a float array (a model
    input, ``[C, H, W]`` or ``[H, W, C]``) is scaled from its own min..max."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = display_image(a)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(a), "L").convert("RGB")
    return Image.fromarray(np.ascontiguousarray(a[:, :, :3]), "RGB")


def is_image_input(shape: Sequence[int]) -> bool:
    """Whether one sample of this shape (no batch axis) looks like an image ``[C, H, W]``
    (C = 1 or 3) or ``[H, W, C]``, at least 8x8."""
    s = list(shape)
    if len(s) != 3:
        return False
    if s[0] in (1, 3) and s[1] >= 8 and s[2] >= 8:
        return True
    return s[2] in (1, 3) and s[0] >= 8 and s[1] >= 8


def display_image(x: np.ndarray) -> np.ndarray:
    """A model's image input of one sample (float ``[C, H, W]`` or ``[H, W, C]``) as uint8
    ``[H, W, C]``, scaled from its own min..max (the display of an npz image)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 2:
        a = a[:, :, None]
    elif a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[2] not in (1, 3):
        a = a.transpose(1, 2, 0)
    elif a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[2] in (1, 3) and a.shape[0] < a.shape[2]:
        a = a.transpose(1, 2, 0)
    lo, hi = float(np.nanmin(a)) if a.size else 0.0, float(np.nanmax(a)) if a.size else 1.0
    if hi - lo < 1e-12:
        return np.zeros(a.shape, np.uint8)
    return np.clip((a - lo) * (255.0 / (hi - lo)), 0, 255).round().astype(np.uint8)


def scale_factor(width: int, height: int, min_side: int = MIN_SIDE) -> int:
    """The whole enlargement factor that brings the smaller side to ``min_side``."""
    side = max(1, min(width, height))
    return max(1, min_side // side) if side < min_side else 1


def _enlarge(img: Image.Image, k: int) -> Image.Image:
    return img if k == 1 else img.resize((img.width * k, img.height * k), Image.Resampling.NEAREST)


# --- segmentation -------------------------------------------------------------------------


def mask_colours(mask: np.ndarray, background: int | None = 0, ignore: int = 255) -> np.ndarray:
    """uint8 ``[H, W, 4]``: each pixel's class colour, alpha 255 where tinted (not the
    ``background`` class, not ``ignore``)."""
    m = np.asarray(mask).astype(np.int64)
    lut = np.asarray(PALETTE, np.uint8)
    rgb = lut[np.mod(m, len(PALETTE))]
    alpha = np.full(m.shape, 255, np.uint8)
    if background is not None:
        alpha[m == background] = 0
    alpha[m == ignore] = 0
    return np.dstack([rgb, alpha])


def overlay_mask(
    image: np.ndarray,
    mask: np.ndarray,
    classes: Sequence[str] | None = None,
    *,
    alpha: float = 0.5,
    background: int | None = 0,
    ignore: int = 255,
    legend: bool = True,
    min_side: int = MIN_SIDE,
    title: str | None = None,
) -> Image.Image:
    """``image`` with ``mask`` (class per pixel) blended in the class palette at ``alpha``;
    pixels of the ``background`` class and ``ignore`` keep the image. With ``legend``, a strip
    below names the classes present (their colour and name). ``title`` goes above."""
    base = to_rgb(image)
    m = np.asarray(mask)
    if m.shape != (base.height, base.width):  # a mask at the output size: fit the image to it
        base = base.resize((m.shape[1], m.shape[0]), Image.Resampling.BILINEAR)
    colours = mask_colours(m, background, ignore)
    img = np.asarray(base, np.float64)
    tint = colours[:, :, 3:4].astype(np.float64) / 255.0 * alpha
    out = img * (1 - tint) + colours[:, :, :3].astype(np.float64) * tint
    drawn = Image.fromarray(out.round().astype(np.uint8), "RGB")
    k = scale_factor(drawn.width, drawn.height, min_side)
    drawn = _enlarge(drawn, k)
    present = [int(c) for c in np.unique(m) if int(c) != ignore and int(c) != background]
    if legend:
        drawn = _with_legend(drawn, [(class_colour(c), class_name(c, classes)) for c in present])
    return _titled(drawn, title) if title else drawn


def _with_legend(img: Image.Image, items: list[tuple[tuple[int, int, int], str]]) -> Image.Image:
    """``img`` with a legend strip below: a swatch and a name per item, wrapped."""
    f = font(11)
    pad, sw, line = 4, 10, 15
    rows: list[list[tuple[tuple[int, int, int], str, int]]] = [[]]
    x = pad
    for colour, name in items or [((200, 200, 200), "no class")]:
        w = sw + 4 + int(f.getlength(name)) + 10
        if x + w > img.width and rows[-1]:
            rows.append([])
            x = pad
        rows[-1].append((colour, name, x))
        x += w
    out = Image.new("RGB", (img.width, img.height + pad + line * len(rows)), (255, 255, 255))
    out.paste(img, (0, 0))
    d = ImageDraw.Draw(out)
    for r, row in enumerate(rows):
        y = img.height + pad + r * line
        for colour, name, x0 in row:
            d.rectangle([x0, y + 1, x0 + sw, y + 1 + sw], fill=colour, outline=(90, 90, 90))
            d.text((x0 + sw + 4, y), name, fill=(30, 30, 30), font=f)
    return out


def _titled(img: Image.Image, title: str) -> Image.Image:
    f = font(12)
    out = Image.new("RGB", (img.width, img.height + 18), (255, 255, 255))
    out.paste(img, (0, 18))
    ImageDraw.Draw(out).text((3, 2), title, fill=(30, 30, 30), font=f)
    return out


# --- detection ----------------------------------------------------------------------------


def _dashed_rect(d: ImageDraw.ImageDraw, box, colour, width: int = 1, dash: int = 4) -> None:
    x0, y0, x1, y1 = box
    for a, b, horizontal, fixed in (
        (x0, x1, True, y0),
        (x0, x1, True, y1),
        (y0, y1, False, x0),
        (y0, y1, False, x1),
    ):
        t = a
        while t < b:
            e = min(t + dash, b)
            if horizontal:
                d.line([(t, fixed), (e, fixed)], fill=colour, width=width)
            else:
                d.line([(fixed, t), (fixed, e)], fill=colour, width=width)
            t += 2 * dash


def draw_boxes(
    image: np.ndarray,
    boxes: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    classes: Sequence[str] | None = None,
    *,
    truth_boxes: np.ndarray | None = None,
    truth_labels: np.ndarray | None = None,
    min_side: int = MIN_SIDE,
    title: str | None = None,
) -> Image.Image:
    """``image`` with predicted ``boxes`` (``[M, 4]`` x0, y0, x1, y1 in image pixels) drawn
    solid in their class colour with "label score" above each, and ground-truth
    ``truth_boxes`` dashed in white over black (with their label at the bottom-left)."""
    base = to_rgb(image)
    k = scale_factor(base.width, base.height, min_side)
    img = _enlarge(base, k)
    d = ImageDraw.Draw(img)
    f = font(11)
    w = 2 if k > 1 else 1
    if truth_boxes is not None:
        tl = np.asarray(truth_labels if truth_labels is not None else [], np.int64).reshape(-1)
        for j, b in enumerate(np.asarray(truth_boxes, np.float64).reshape(-1, 4)):
            box = [float(v) * k for v in b]
            box[2], box[3] = box[2] - 1, box[3] - 1  # x1, y1 are exclusive pixel edges
            _dashed_rect(d, [v + 1 for v in box], TRUTH_SHADOW, 1)
            _dashed_rect(d, box, TRUTH_COLOUR, 1)
            if j < len(tl):
                name = class_name(int(tl[j]), classes)
                d.text((box[0] + 2, box[3] - 13), name, fill=TRUTH_COLOUR, font=f)
    if boxes is not None:
        lab = np.asarray(labels if labels is not None else [], np.int64).reshape(-1)
        sc = None if scores is None else np.asarray(scores, np.float64).reshape(-1)
        for j, b in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
            c = int(lab[j]) if j < len(lab) else 0
            colour = class_colour(c) if c % len(PALETTE) else (230, 25, 75)
            box = [float(v) * k for v in b]
            box[2], box[3] = max(box[0], box[2] - 1), max(box[1], box[3] - 1)
            d.rectangle(box, outline=colour, width=w)
            text = class_name(c, classes) + (
                f" {sc[j]:.2f}" if sc is not None and j < len(sc) else ""
            )
            tw = int(f.getlength(text)) + 4
            ty = max(0.0, box[1] - 14)
            d.rectangle([box[0], ty, box[0] + tw, ty + 13], fill=colour)
            d.text((box[0] + 2, ty), text, fill=_ink(colour), font=f)
    return _titled(img, title) if title else img


def _ink(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = colour
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


# --- audio --------------------------------------------------------------------------------


def waveform_image(
    wave: np.ndarray,
    width: int = 320,
    height: int = 80,
    *,
    sample_rate: int | None = None,
    colour: tuple[int, int, int] = WAVE_COLOUR,
) -> Image.Image:
    """A ``width`` x ``height`` line plot of a mono waveform: the min..max of the samples under
    each pixel column (an envelope for long recordings), a zero line, and its duration."""
    w = np.asarray(wave, np.float64).reshape(-1)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    mid = (height - 1) / 2
    d.line([(0, mid), (width - 1, mid)], fill=(210, 210, 210))
    if w.size:
        peak = float(np.abs(w).max()) or 1.0
        edges = np.linspace(0, w.size, width + 1).astype(np.int64)
        half = (height - 6) / 2
        prev = None
        for x in range(width):
            seg = w[edges[x] : max(edges[x + 1], edges[x] + 1)]
            lo, hi = float(seg.min()), float(seg.max())
            y0, y1 = mid - hi / peak * half, mid - lo / peak * half
            d.line([(x, y0), (x, y1)], fill=colour)
            if prev is not None:
                d.line([(x - 1, prev), (x, (y0 + y1) / 2)], fill=colour)
            prev = (y0 + y1) / 2
    if sample_rate:
        d.text((4, 2), f"{w.size / sample_rate:.2f} s", fill=(90, 90, 90), font=font(10))
    d.rectangle([0, 0, width - 1, height - 1], outline=(200, 200, 200))
    return img


# --- assembling ---------------------------------------------------------------------------


def side_by_side(images: Sequence[Image.Image], gap: int = 8) -> Image.Image:
    """Images in a row on white, tops aligned."""
    images = list(images)
    if not images:
        return Image.new("RGB", (1, 1), (255, 255, 255))
    w = sum(i.width for i in images) + gap * (len(images) - 1)
    h = max(i.height for i in images)
    out = Image.new("RGB", (w, h), (255, 255, 255))
    x = 0
    for i in images:
        out.paste(i, (x, 0))
        x += i.width + gap
    return out


def png_bytes(img: Image.Image) -> bytes:
    """The image as PNG file bytes."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def mask_png(
    image: np.ndarray, mask: np.ndarray, classes: Sequence[str] | None = None, **kw
) -> bytes:
    """:func:`overlay_mask` as PNG bytes."""
    return png_bytes(overlay_mask(image, mask, classes, **kw))


def boxes_png(image: np.ndarray, *args, **kw) -> bytes:
    """:func:`draw_boxes` as PNG bytes."""
    return png_bytes(draw_boxes(image, *args, **kw))


def waveform_png(wave: np.ndarray, width: int = 320, height: int = 80, **kw) -> bytes:
    """:func:`waveform_image` as PNG bytes."""
    return png_bytes(waveform_image(wave, width, height, **kw))
