"""ONNX Runtime execution providers of the generated apps (recipe ``[export]
onnxruntime_providers``, e.g. ``{ android = "nnapi", ios = "coreml" }``).

Each platform template declares the providers its ``onnxruntime`` runtime can add
(``[runtimes.onnxruntime] execution_providers`` in its manifest, the first being the
default). The app adds the chosen one and falls back to a CPU session when the provider
cannot be added or the session cannot be created with it, and shows which one runs. The
desktop always measures on ONNX Runtime's CPU provider: the report says so next to the app's
provider.
"""

from __future__ import annotations

from typing import Any

from deploy_studio.core.errors import RecipeError

RUNTIME = "onnxruntime"
"""The runtime (in every platform template that has it) whose apps take a provider."""

DESKTOP_PROVIDER = "cpu"
"""The provider the desktop measures every ONNX artifact with."""

LABELS = {"cpu": "CPU", "nnapi": "NNAPI", "xnnpack": "XNNPACK", "coreml": "Core ML EP"}
"""Provider key -> the name the apps and the report show."""

WHY_LOOSER = {
    "nnapi": "NNAPI may run float16 on some NPUs",
    "xnnpack": "XNNPACK's kernels differ from the desktop's CPU kernels",
    "coreml": "the Core ML EP may run float16 on the GPU / Neural Engine",
}
"""Provider key -> why the app's self-test uses a relative bound with it."""


def provider_choices() -> dict[str, tuple[str, ...]]:
    """Platform -> the providers its ``onnxruntime`` runtime offers (default first)."""
    from deploy_studio.core.templates.manifest import available_platforms, load_manifest

    out = {}
    for platform in available_platforms():
        spec = load_manifest(platform).runtimes.get(RUNTIME)
        if spec is not None and spec.execution_providers:
            out[platform] = spec.execution_providers
    return out


def check_providers(table: Any, where: str = "[export].onnxruntime_providers") -> dict | None:
    """``table`` validated (platform -> provider key), or a :class:`RecipeError` naming the
    platforms and each platform's choices."""
    if table is None:
        return None
    choices = provider_choices()
    if not isinstance(table, dict):
        raise RecipeError(
            f"{where} must be a table, got {table!r}",
            'e.g. onnxruntime_providers = { android = "nnapi", ios = "coreml" }',
        )
    for platform, provider in table.items():
        if platform not in choices:
            raise RecipeError(
                f"{where}: {platform!r} has no ONNX Runtime execution providers",
                f"platforms: {', '.join(choices)}",
            )
        if provider not in choices[platform]:
            raise RecipeError(
                f"{where}.{platform} = {provider!r} is not a provider of the {platform} app",
                f"{platform} choices: {', '.join(choices[platform])}",
            )
    return dict(table)


def app_provider(providers: dict | None, platform: str, runtime: str) -> str | None:
    """The provider the ``platform`` / ``runtime`` app adds (its default when the recipe
    names none), or None for a runtime without providers."""
    if runtime != RUNTIME:
        return None
    choices = provider_choices().get(platform)
    if not choices:
        return None
    return (providers or {}).get(platform) or choices[0]


def describe(provider: str) -> str:
    """``"NNAPI, CPU fallback"`` / ``"CPU"``: what the report and the UI say."""
    label = LABELS.get(provider, provider)
    return label if provider == DESKTOP_PROVIDER else f"{label}, CPU fallback"
