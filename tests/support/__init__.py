"""Test support: the test models, the recipe builder and the pipeline helpers, each defined once."""
