"""Training of Tinct's own networks: the automatic colouriser (``train_autocolor``), its data
loader (``data``) and the held-out split of the shared photos (``split``)."""
