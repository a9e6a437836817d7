"""cer-loader: the initial load (zasilenie inicjalne) of booked appointments into CeR (P1).

Library first: ``pipeline.run`` does a whole run; ``cli`` is a thin layer over it.
"""

__version__ = "0.1.0"
