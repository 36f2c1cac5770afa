"""Samples drawn per task (no Qt): :mod:`.render` (Pillow: masks overlaid, boxes, waveforms,
PNG bytes), :mod:`.describe` (text of tabular rows, tokens, output summaries), :mod:`.views`
(a task's view of one sample's outputs) and :mod:`.report` (the held-out samples report.html
shows, rendered by the worker into ``samples/*.png``)."""
