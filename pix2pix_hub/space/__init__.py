"""The Gradio Space: `app.build_app` (every registry task, drawn or uploaded, an API endpoint each) and
`models.ModelStore` (lazy, cached model loading). The submodules are imported explicitly so that loading models
does not import Gradio."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the Space makes no call to the internet
