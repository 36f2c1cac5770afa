"""The CLI's results table says why a row was not measured and how much of an ExecuTorch
program its delegate took (the numbers come from the report, as run writes it)."""

from __future__ import annotations

from deploy_studio.core.cli import coverage_text


def test_coverage_line_names_the_ops_left_outside_the_delegate():
    line = coverage_text(
        {
            "delegate": "vulkan",
            "ops_delegated": 5,
            "ops_total": 8,
            "flops_delegated_share": 0.9734,
            "undelegated": {"aten.upsample_nearest2d.vec": 2, "aten.argmax.default": 1},
        }
    )
    assert line.startswith("coverage: 5/8 ops in the vulkan delegate, 97% of the FLOPs")
    assert "aten.upsample_nearest2d.vec x2" in line and "aten.argmax.default x1" in line
