"""Log data: formats, readers, labels, windowing, splits and the synthetic generator."""
