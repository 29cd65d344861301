"""The Gradio Space: every registry task, drawn or uploaded, with an API endpoint per task."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the Space makes no call to the internet

from .app import build_app  # noqa: E402
from .models import ModelStore, ModelUnavailable  # noqa: E402

__all__ = ["ModelStore", "ModelUnavailable", "build_app"]
