"""The Gradio Space: `app.build_app` (every registry task, drawn or uploaded, an API endpoint each) and
`models.ModelStore` (lazy, cached model loading). The submodules are imported explicitly so that loading models
does not import Gradio."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the Space makes no call to the internet
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its /monitoring page);
# every 100th event is enough, and spares a crowd 2-7 ms of CPU a request
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
