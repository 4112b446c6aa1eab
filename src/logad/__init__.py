"""logad: train and serve log anomaly detectors."""

import logging

__version__ = "0.1.0"

# bitsandbytes (imported by peft and accelerate) warns that it cannot fetch an optional CPU kernel from a model
# hub; logad never downloads at run time and bitsandbytes falls back to its built-in kernels, so it is noise.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
