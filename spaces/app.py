"""The Hugging Face Space: every pix2pix_hub task in one Gradio app (`pix2pix-hub demo` runs the same app locally).

Models come from the bundled `model_zoo/` when the package has one, else from the Hub (`pix2pix-hub/<task>`).
"""

from pix2pix_hub.space.app import build_app
from pix2pix_hub.web.server import web_app_kwargs

demo = build_app()

if __name__ == "__main__":
    demo.launch(share=False, app_kwargs=web_app_kwargs())  # and the in-browser page at /web/
