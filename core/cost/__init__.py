"""A cost model of one inference: FLOPs, bytes of weights read, and where a variant sits on
this host's roofline.

- :mod:`.count` counts a built variant's FLOPs (``torch.utils.flop_counter``) and the bytes
  of its weights at the artifact's storage precision.
- :mod:`.host` measures this host's limits once per process: peak GFLOP/s (an fp32 matmul)
  and memory bandwidth (a large copy) at the headline thread count.
- :mod:`.roofline` joins them with a variant's p50: achieved GFLOP/s, arithmetic intensity,
  compute- or memory-bound, and the share of the attainable rate it reaches.
"""

from __future__ import annotations

from deploy_studio.core.cost.roofline import roofline, variant_cost

__all__ = ["roofline", "variant_cost"]
