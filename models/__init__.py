"""Tinct models: network architectures, weights and running them on frames.

- :mod:`tinct.models.registry` - model descriptors and the :class:`~tinct.models.registry.Registry`
  (verify a weights file's sha256, load it without unpickling); :mod:`tinct.models.catalog` - the
  descriptors Tinct ships and ``default_registry()``.
- :mod:`tinct.models.architectures` - the PyTorch networks (SRVGGNetCompact, RRDBNet).
- :mod:`tinct.models.ncnn`, :mod:`tinct.models.ncnn_eval`, :mod:`tinct.models.convert_ncnn` - read
  ncnn models and convert them to safetensors (``tinct models convert-ncnn``).
- :mod:`tinct.models.weights` - the models folder, checksums, safetensors reading and writing.
- :mod:`tinct.models.device`, :mod:`tinct.models.tiling` - device and precision choice, tiled inference.
- :mod:`tinct.models.upscale` - scene-linear super-resolution (the Clarity node's engine).

Importing this package loads nothing: import the module you need.
"""
