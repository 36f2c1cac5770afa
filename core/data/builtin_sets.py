"""Built-in datasets besides ``builtin:digits``: real data for every task's demo (filled in by
the demo models' work; see ``builtin_dataset_names``)."""

from __future__ import annotations

from deploy_studio.core.errors import DataError

BUILTIN_DATASETS: dict[str, str] = {"digits": "scikit-learn's 8x8 digits (1,797 images, 10 classes)"}


def builtin_dataset_names() -> dict[str, str]:
    """Name -> one-line description of every ``builtin:`` data source."""
    return dict(BUILTIN_DATASETS)


def load_builtin_dataset(name: str, preprocess, signature):
    raise DataError(
        f"unknown built-in data source builtin:{name}",
        "built-in data: " + ", ".join(f"builtin:{n}" for n in BUILTIN_DATASETS),
    )
