"""Deploy Studio's bundled resources (demo recipes, example models, icons): package data,
found with ``importlib.resources`` (``deploy_studio.core.fsutil.resource_path``)."""
