"""Project-wide facts: library name, Hub namespace, links and citation. Everything else reads them from here."""

LIBRARY_NAME = "pix2pix_hub"
HUB_NAMESPACE = "pix2pix-hub"
LICENSE = "mit"
REPO_URL = "https://github.com/pix2pix-hub/pix2pix_hub"
PAPER_URL = "https://arxiv.org/abs/1611.07004"
REFERENCE_URL = "https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix"
HUB_TAGS = ["pix2pix", "image-to-image", "gan", "conditional-gan", "pytorch"]
PIPELINE_TAG = "image-to-image"

#: datasets whose terms forbid commercial use: a model trained on any of them carries this card licence instead
NON_COMMERCIAL_DATASETS = frozenset({"cityscapes", "maps"})
NON_COMMERCIAL_LICENSE = {"license": "other", "license_name": "non-commercial-training-data"}

CITATION = """@inproceedings{isola2017image,
  title     = {Image-to-Image Translation with Conditional Adversarial Networks},
  author    = {Isola, Phillip and Zhu, Jun-Yan and Zhou, Tinghui and Efros, Alexei A.},
  booktitle = {Computer Vision and Pattern Recognition (CVPR)},
  year      = {2017}
}"""

#: where the paired datasets of the paper come from, for dataset cards (pix2pix release names)
DATASET_REFERENCES = {
    "facades": 'R. Tyleček and R. Šára, "Spatial Pattern Templates for Recognition of Objects with Regular '
    'Structure", GCPR 2013 (CMP Facades)',
    "cityscapes": 'M. Cordts et al., "The Cityscapes Dataset for Semantic Urban Scene Understanding", CVPR 2016',
    "maps": "aerial photos and map tiles of New York City from Google Maps, collected by Isola et al. (CVPR 2017)",
    "edges2shoes": 'A. Yu and K. Grauman, "Fine-Grained Visual Comparisons with Local Learning", CVPR 2014 '
    "(UT Zappos50K); edges by HED, as in Isola et al. (CVPR 2017)",
    "edges2handbags": 'J.-Y. Zhu et al., "Generative Visual Manipulation on the Natural Image Manifold", ECCV 2016 '
    "(iGAN handbags); edges by HED, as in Isola et al. (CVPR 2017)",
}
