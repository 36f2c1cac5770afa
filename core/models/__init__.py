"""Model sources, validation and summaries."""

from core.models.loaded import LoadedModel, ModelSpec
from core.models.sources import load_model

__all__ = ["LoadedModel", "ModelSpec", "load_model"]
