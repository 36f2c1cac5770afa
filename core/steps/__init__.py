"""Optimization steps (quantize, prune, distill): one module each, registered in ``core.registry.STEPS``.

A step class has two static methods: ``check(variant, index, options)`` rejects an
impossible combination before any work starts, and ``apply(ctx, options)`` changes the
variant's :class:`deploy_studio.core.pipeline.context.BuildContext` (its working module, quantization flags,
post-export hooks, notes and report tables). Steps run in recipe order, before conversion.
"""
