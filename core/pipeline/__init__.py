"""Building one variant: convert -> optimize -> export, as an explicit ordered pipeline."""
