"""report.json (schema 1) and a readable report.html with size, latency and accuracy charts."""

from deploy_studio.core.report.writer import write_report

__all__ = ["write_report"]
