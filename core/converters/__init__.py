"""Converters: torch.export (default), torch.jit.trace, torch.jit.script — one module each."""
