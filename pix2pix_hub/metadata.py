"""Project-wide facts: library name, Hub namespace, links and citation. Everything else reads them from here."""

LIBRARY_NAME = "pix2pix_hub"
HUB_NAMESPACE = "pix2pix-hub"
LICENSE = "mit"
REPO_URL = "https://github.com/pix2pix-hub/pix2pix_hub"
ARXIV_ID = "1611.07004"
PAPER_URL = f"https://arxiv.org/abs/{ARXIV_ID}"
REFERENCE_URL = "https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix"
#: every model card's tags; `arxiv:<id>` links the model to the paper's page on the Hub
HUB_TAGS = ["pix2pix", "image-to-image", "gan", "conditional-gan", "pytorch", f"arxiv:{ARXIV_ID}"]
#: the title of the Hub collection `pix2pix-hub zoo collection` builds of the zoo's models and Space
COLLECTION_TITLE = "pix2pix model zoo"
PIPELINE_TAG = "image-to-image"

CITATION = """@inproceedings{isola2017image,
  title     = {Image-to-Image Translation with Conditional Adversarial Networks},
  author    = {Isola, Phillip and Zhu, Jun-Yan and Zhou, Tinghui and Efros, Alexei A.},
  booktitle = {Computer Vision and Pattern Recognition (CVPR)},
  year      = {2017}
}"""
