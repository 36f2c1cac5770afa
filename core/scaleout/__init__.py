"""Scale-out of ``deploy-studio tune``: builds in parallel (``--workers N`` local worker
processes, or ``--ray ADDRESS`` tasks on a Ray cluster), measurements one at a time on this
machine. See :mod:`deploy_studio.core.scaleout.prebuild`."""
