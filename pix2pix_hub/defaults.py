"""Choices and defaults shared by the library and its command lines. This module imports nothing heavy, so the
command-line parsers can read it and `pix2pix-hub --help` answers without loading torch or datasets."""

#: which half of a pair is the input: A (AtoB) or B (BtoA)
DIRECTIONS = ("AtoB", "BtoA")
#: the two image columns of a paired Hub dataset (the HugGAN sets' names)
DEFAULT_COLUMNS = ("imageA", "imageB")
#: same-size inputs per forward pass; 8 measured fastest on a 2-core CPU (benchmarks/inference.py)
DEFAULT_BATCH_SIZE = 8
#: inference backends of `Pix2PixPipeline` (pix2pix_hub/backends.py); "auto" times the candidates once
BACKEND_CHOICES = ("auto", "torch", "openvino", "onnxruntime", "int8")
