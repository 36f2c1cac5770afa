"""Modal dialogs: export, input shape, trusting a pickled module."""
