"""The worker: one process that owns the session and serves typed requests.

``Worker`` (a child process) and ``InlineWorker`` (this process) share one interface,
``call(request, on_event, cancel)``; the requests are in :mod:`deploy_studio.core.worker.requests`. This
package imports neither torch nor any runtime: the window creates its worker without them.
"""

from deploy_studio.core.worker.process import (
    InlineWorker,
    JobCrashed,
    JobFailed,
    Worker,
)

__all__ = ["InlineWorker", "JobCrashed", "JobFailed", "Worker"]
