"""Datasets and the one preprocessing spec used by Python, every runtime and every app."""

from deploy_studio.core.data.datasets import Dataset, load_dataset
from deploy_studio.core.data.preprocess import Preprocess

__all__ = ["Dataset", "Preprocess", "load_dataset"]
