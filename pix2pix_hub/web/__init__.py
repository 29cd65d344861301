"""The in-browser page: pix2pix models run by onnxruntime-web in the visitor's browser (docs/web.md).

`manifest` turns the registries into the JSON the page reads, `server` serves the page from `pix2pix-hub demo`,
`build` writes it as a static Hugging Face Space.
"""
