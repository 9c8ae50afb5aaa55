"""Write large CSV tables of a known formula for the benchmarks.

The table has three inputs ``x0, x1, x2`` drawn uniformly from [-1.5, 1.5] and
the target ``y = 2*x0 - 0.5*x1**2 + sin(x2) + 1``, written with 17
significant digits as ``eqdiscover generate`` writes its tables.
"""

import numpy as np
import pandas as pd

TRUTH = "2*x0 - 0.5*x1**2 + sin(x2) + 1"
_BLOCK_ROWS = 1_000_000


def write_table(path, n_rows, seed=0):
    """Write ``n_rows`` rows to ``path`` a block at a time and return the path."""
    rng = np.random.default_rng(seed)
    header = True
    with open(path, "w", newline="") as stream:
        for start in range(0, n_rows, _BLOCK_ROWS):
            size = min(_BLOCK_ROWS, n_rows - start)
            x0, x1, x2 = rng.uniform(-1.5, 1.5, size=(3, size))
            y = 2 * x0 - 0.5 * x1**2 + np.sin(x2) + 1
            frame = pd.DataFrame({"x0": x0, "x1": x1, "x2": x2, "y": y})
            frame.to_csv(stream, index=False, header=header, float_format="%.17g")
            header = False
    return path
