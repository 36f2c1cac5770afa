"""``tabular:FILE.csv``: a header row, numeric feature columns and a label column, read into
an array dataset whose one input is the standardised features (the spec:
:class:`~deploy_studio.core.data.tabular.TabularSpec`)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from deploy_studio.core.data.dataset import Dataset
from deploy_studio.core.data.tabular import LABEL_NAMES, REGRESSION_DISTINCT, TabularSpec
from deploy_studio.core.errors import DataError


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise DataError(
            f"CSV file {path} does not exist",
            "pass tabular:FILE.csv with a header row, feature columns and a label column",
        )
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(
            f"{path} is not a readable CSV file ({e})", "save it as UTF-8 CSV"
        ) from None
    if len(rows) < 2:
        raise DataError(f"{path.name} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise DataError(
                f"{path.name} row {i} has {len(r)} cells, the header has {len(header)}",
                "every row needs one cell per header column",
            )
    return header, [[c.strip() for c in r] for r in rows[1:]]


def _label_column(header: list[str], spec: TabularSpec, file: str) -> str:
    if spec.label is not None:
        if spec.label not in header:
            raise DataError(
                f"{file} has no label column {spec.label!r}; its columns: {', '.join(header)}",
                'set [preprocess] tabular = { label = "<column>" }',
            )
        return spec.label
    named = [h for h in header if h.lower() in LABEL_NAMES]
    return named[0] if named else header[-1]


def _labels(cells: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, list[str], str]:
    """(labels, values, classes, note) of a label column."""
    try:
        nums = np.asarray([float(c) for c in cells], dtype=np.float64)
    except ValueError:
        classes = sorted(set(cells))
        index = {c: i for i, c in enumerate(classes)}
        labels = np.asarray([index[c] for c in cells], dtype=np.int64)
        return labels, None, classes, f"{len(classes)} classes (text labels, in sorted order)"
    distinct = np.unique(nums)
    whole = bool(np.all(nums == np.round(nums)))
    if whole and nums.min() >= 0 and nums.max() < 1000:
        k = int(nums.max()) + 1
        return nums.astype(np.int64), None, [str(i) for i in range(k)], f"{k} classes (indices)"
    if len(distinct) > REGRESSION_DISTINCT:
        return (
            None,
            nums.astype(np.float32),
            [],
            f"the label column holds {len(distinct)} distinct numbers: a regression target",
        )
    classes = [f"{v:g}" for v in distinct]
    labels = np.searchsorted(distinct, nums).astype(np.int64)
    return labels, None, classes, f"{len(classes)} classes (numeric labels, in sorted order)"


def load_tabular(path: Path, preprocess, signature=None, limit: int | None = None):
    """The rows of ``path`` as an array dataset (see the module docstring)."""

    header, rows = _read_csv(path)
    spec = preprocess.tabular or TabularSpec()
    label = _label_column(header, spec, path.name)
    columns = spec.columns if spec.columns is not None else [h for h in header if h != label]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(
            f"{path.name} has no column(s) {', '.join(missing)}; its columns: {', '.join(header)}",
            "fix [preprocess] tabular columns",
        )
    if label in columns:
        raise DataError(f"column {label!r} of {path.name} is both the label and a feature")
    if limit:
        rows = rows[:limit]
    table = np.empty((len(rows), len(columns)), dtype=np.float64)
    at = [header.index(c) for c in columns]
    for i, r in enumerate(rows):
        for j, k in enumerate(at):
            try:
                table[i, j] = float(r[k])
            except ValueError:
                raise DataError(
                    f"{path.name} row {i + 2}, column {columns[j]!r}: {r[k]!r} is not a number",
                    "feature columns must be numeric (encode categories as numbers first)",
                ) from None
    labels, values, classes, label_note = _labels([r[header.index(label)] for r in rows])
    notes = [
        f"{len(rows)} rows of {len(columns)} features from {path.name}; label {label!r}: {label_note}"
    ]
    given = spec.mean is not None and spec.std is not None
    mean = spec.mean if spec.mean is not None else table.mean(axis=0).tolist()
    std = spec.std if spec.std is not None else table.std(axis=0).tolist()
    std = [s if s > 0 else 1.0 for s in std]
    if len(mean) != len(columns) or len(std) != len(columns):
        raise DataError(
            f"[preprocess] tabular mean/std have {len(mean)}/{len(std)} values for "
            f"{len(columns)} feature columns of {path.name}",
            "give one value per feature column",
        )
    computed = [k for k in ("mean", "std") if getattr(spec, k) is None]
    notes.append(
        "standardised with the recipe's mean/std"
        if given
        else f"standardised with {'/'.join(computed)} computed over the file's rows (set "
        "[preprocess] tabular mean/std to use the training set's)"
    )
    spec = TabularSpec(columns=list(columns), label=label, mean=mean, std=std)
    feats = spec.apply(table)
    name, shape = _target(signature, len(columns))
    return Dataset(
        name=f"tabular:{path}",
        images=np.zeros((len(rows), 0, 0, 1), dtype=np.uint8),
        labels=labels,
        classes=classes,
        preprocess=preprocess.with_overrides({"tabular": spec.to_dict()}),
        notes=notes,
        arrays={name: np.ascontiguousarray(feats.reshape(len(rows), *shape))},
        values=values,
        columns=list(columns),
        table=table,
    )


def _target(signature, n_features: int) -> tuple[str, list[int]]:
    """(input name, per-sample shape) of the model's one input, checked against F features."""
    if signature is None:
        return "input", [n_features]
    if len(signature.inputs) != 1 or not signature.inputs[0].is_float:
        raise DataError(
            f"tabular data feeds one float input; the model takes {signature.describe_inputs()}",
            "use npz:FILE with one array per input",
        )
    inp = signature.inputs[0]
    want = [int(d) for d in inp.shape[1:]]
    if int(np.prod(want)) != n_features:
        raise DataError(
            f"the table has {n_features} feature columns, but input {inp.describe()} takes "
            f"{int(np.prod(want))} features",
            "choose the feature columns with [preprocess] tabular = { columns = [...] } "
            "(or check the label column)",
        )
    return inp.name, want
