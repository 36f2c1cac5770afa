"""Gates: limits every variant must meet, judged on its measured row (pure functions).

Six gates exist. ``max_accuracy_drop`` (vs the original model's top-1, labelled data),
``max_metric_drop`` (vs the original's value of the task's metric: mean IoU, mAP@0.5, top-1
as fractions; MAE/RMSE as an increase in their unit; embedding/generic: 1 - cosine),
``max_size_bytes`` and ``max_latency_ms`` (p50) apply when the recipe sets them. The two
fidelity gates are on by default, because accuracy alone cannot see a broken artifact on
unlabelled data: ``min_top1_agreement`` (same top-1 as the original on the held-out samples,
default 0.9) and ``min_snr_db`` (output signal-to-noise ratio against the original, default
10 dB). By default the SNR gate skips variants that were retrained (a distill step, or a
prune step with finetuning): their outputs are meant to move; they are judged by accuracy
and agreement. A value set in the recipe applies to every variant; ``false`` turns a
default gate off.

Each verdict has a ``status``: ``passed``, ``failed``, ``uncertain`` (the latency limit lies
inside the p50's 95% confidence interval: the measurement cannot tell) or ``n/a`` (nothing
to judge, e.g. agreement with a model whose outputs are degenerate; the reason says why).
``passed`` is True/False for the first two and None otherwise. Only ``failed`` fails a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from deploy_studio.core.report.model import GateVerdict, VariantResult, as_row, as_verdict

DEFAULT_LIMITS: dict[str, float] = {"min_top1_agreement": 0.9, "min_snr_db": 10.0}


@dataclass(frozen=True)
class GateRule:
    """How one gate reads a row and compares it with its limit; ``label`` names what it
    measures (``"p50 latency"``), ``short`` names the gate in a narrow column (``"latency"``)."""

    key: str
    label: str
    read: Callable[[VariantResult, float | None], float | None]
    higher_is_better: bool
    short: str = ""


def _accuracy_drop(row: VariantResult, baseline: float | None) -> float | None:
    acc = row.top1
    return None if acc is None or baseline is None else round(baseline - acc, 6)


RULES: dict[str, GateRule] = {
    "max_accuracy_drop": GateRule(
        "max_accuracy_drop", "accuracy drop", _accuracy_drop, False, "accuracy"
    ),
    "max_metric_drop": GateRule(
        "max_metric_drop", "task metric drop", lambda r, _b: r.metric_drop, False, "metric"
    ),
    "max_size_bytes": GateRule("max_size_bytes", "size", lambda r, _b: r.size_bytes, False, "size"),
    "max_latency_ms": GateRule(
        "max_latency_ms", "p50 latency", lambda r, _b: r.p50, False, "latency"
    ),
    "min_top1_agreement": GateRule(
        "min_top1_agreement", "top-1 agreement", lambda r, _b: r.agreement, True, "agreement"
    ),
    "min_snr_db": GateRule("min_snr_db", "output SNR", lambda r, _b: r.snr_db, True, "SNR"),
}
GATE_KEYS = tuple(RULES)


def retrained(row: VariantResult | dict) -> bool:
    """True when the variant's steps train the model again (distill, or prune + finetune)."""
    for step in as_row(row).steps:
        if step.get("kind") == "distill":
            return True
        if step.get("kind") == "prune" and (step.get("finetune_epochs") or 0) > 0:
            return True
    return False


def effective_limits(gates: Any) -> dict[str, tuple[float, bool]]:
    """gate key -> (limit, explicit) for every gate that applies (recipe value or default)."""
    out: dict[str, tuple[float, bool]] = {}
    for key in GATE_KEYS:
        value = getattr(gates, key, None)
        if value is False:
            continue  # a default gate the recipe turned off
        if value is not None:
            out[key] = (value, True)
        elif key in DEFAULT_LIMITS:
            out[key] = (DEFAULT_LIMITS[key], False)
    return out


def _verdict(
    key: str, row: VariantResult, limit: float, value: float | None, status: str, reason: str = ""
) -> GateVerdict:
    return GateVerdict(
        name=f"{key}:{row.name}",
        gate=key,
        variant=row.name,
        limit=limit,
        value=value,
        passed={"passed": True, "failed": False}.get(status),
        status=status,
        reason=reason or None,
    )


def judge(
    key: str,
    row: VariantResult | dict,
    limit: float,
    baseline: float | None,
    explicit: bool = True,
) -> GateVerdict | None:
    """The verdict of gate ``key`` on one variant row (None when the gate does not apply)."""
    rule = RULES[key]
    row = as_row(row)
    if row.error:
        return _verdict(key, row, limit, None, "failed", "variant failed")
    if key == "min_snr_db" and not explicit and retrained(row):
        return None  # retrained on purpose: judged by accuracy and agreement
    value = rule.read(row, baseline)
    if value is None:
        if key.startswith("min_") and row.parity is not None and not row.parity.meaningful:
            return _verdict(key, row, limit, None, "n/a", row.parity.note or "not measurable")
        return None  # not measurable here (Core ML latency on Linux, accuracy on random data)
    if key == "max_latency_ms":
        ci = row.latency_ms.p50_ci if row.latency_ms else None
        if ci and ci[0] <= limit <= ci[1]:
            return _verdict(
                key,
                row,
                limit,
                value,
                "uncertain",
                f"the limit {limit:g} ms lies inside the p50's 95% interval "
                f"[{ci[0]:.4g}, {ci[1]:.4g}] ms: measure with more runs or threads pinned",
            )
    ok = value >= limit if rule.higher_is_better else value <= limit
    return _verdict(key, row, limit, value, "passed" if ok else "failed")


def evaluate_gates(
    gates: Any, rows: Iterable[VariantResult | dict], baseline: float | None
) -> list[GateVerdict]:
    """Every (gate, variant) verdict; a failed variant fails every gate it has."""
    typed = [as_row(r) for r in rows]
    out = []
    for key, (limit, explicit) in effective_limits(gates).items():
        for row in typed:
            v = judge(key, row, limit, baseline, explicit)
            if v is not None:
                out.append(v)
    return out


def failed_variants(verdicts: Iterable[GateVerdict | dict]) -> set[str]:
    """Names of the variants with at least one failed gate."""
    return {v.variant for v in map(as_verdict, verdicts) if v.failed}


def any_failed(verdicts: Iterable[GateVerdict | dict]) -> bool:
    return bool(failed_variants(verdicts))
