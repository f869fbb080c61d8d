"""The benchmark kit: synthetic and real shots, quality metrics and the field's baselines."""
