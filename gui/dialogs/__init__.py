"""Modal dialogs: export, input shape, constructor arguments, trusting a pickled module."""
