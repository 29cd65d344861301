"""The Gradio Space: every registry task, drawn or uploaded, with an API endpoint per task."""

from .app import build_app
from .models import ModelStore, ModelUnavailable

__all__ = ["ModelStore", "ModelUnavailable", "build_app"]
