"""Model sources, validation and summaries."""

from deploy_studio.core.models.loaded import LoadedModel, ModelSpec
from deploy_studio.core.models.sources import load_model

__all__ = ["LoadedModel", "ModelSpec", "load_model"]
