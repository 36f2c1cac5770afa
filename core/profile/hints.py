"""Hints for common ops an ExecuTorch delegate left on the portable kernels.

The portable kernels are ExecuTorch's reference C++ implementations: correct, single-threaded,
unvectorized. An op that falls back to them in a hot path often costs more than the rest of
the model. :func:`portable_hints` turns a program's undelegated ops (``coverage["undelegated"]``
from ``core/formats/pte_coverage.py``) into one line each for the ops in :data:`HINTS`.
"""

from __future__ import annotations

# op base name (no "aten." prefix, no overload) -> what to try. Suggestions: the mean one is
# checked by tests/core/test_profile.py (XNNPACK takes the keepdim form); the others are not
# verified here.
HINTS: dict[str, str] = {
    "upsample_bilinear2d": "use nn.Upsample(mode='nearest') or a ConvTranspose2d, which XNNPACK "
    "takes, or export with align_corners=False and a scale factor of 2",
    "upsample_nearest2d": "use an integer scale factor (XNNPACK takes 2x nearest upsampling)",
    "cumsum": "replace it by a matmul with a triangular ones matrix (XNNPACK takes matmul)",
    "sort": "use torch.topk with the k you need, or sort outside the model",
    "argmax": "return the scores and take the argmax in the app",
    "hardswish": "the int8 XNNPACK quantizer leaves it out: keep the layer in float "
    "(keep_fp32) or use ReLU6",
    "layer_norm": "XNNPACK takes it in float32: check that the variant is not int8 around it",
    "native_layer_norm": "XNNPACK takes it in float32: check that the variant is not int8 around it",
    "gelu": "use the tanh approximation (nn.GELU(approximate='tanh')) or a newer ExecuTorch",
    "mean": "XNNPACK takes a mean over the last two dims of a 4-d tensor with keepdim=True: "
    "use x.mean((2, 3), keepdim=True) and flatten",
    "index": "advanced indexing runs on portable kernels: use gather / index_select or slicing",
    "pad": "use the convolution's own padding instead of F.pad",
    "constant_pad_nd": "use the convolution's own padding instead of F.pad",
}


def base_name(op: str) -> str:
    """``aten.upsample_bilinear2d.vec`` -> ``upsample_bilinear2d``."""
    name = op.removeprefix("aten.").removeprefix("aten::")
    return name.split(".")[0]


def portable_hints(coverage: dict | None) -> list[str]:
    """One hint per undelegated op that has one: ``aten.cumsum.default x1 runs on portable
    kernels: replace it by ...``."""
    if not coverage:
        return []
    hints = []
    for op, count in (coverage.get("undelegated") or {}).items():
        tip = HINTS.get(base_name(op))
        if tip:
            hints.append(f"{op} x{count} runs on portable kernels: {tip}")
    return hints
