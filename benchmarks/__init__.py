"""Speed and memory of tangent_src's derivatives against hand-written numpy and peer AD systems.

Run `python -m benchmarks` (after `pip install -e '.[bench]'` for the peers); the
workloads are in `workloads.py`, the GPU comparison in `gpu.py`, and
`python -m benchmarks.profile WORKLOAD` times the generated code line by line.

Every system runs on one thread unless BENCH_THREADS says otherwise: on a small, shared
machine, thread pools that spin (OpenMP, OpenBLAS) take the CPU from one another and
from other processes, and the timings become noise. The thread counts are set here,
before numpy, torch or jax is imported (they read them once, at import).
"""

import os
import sys

THREADS = os.environ.get("BENCH_THREADS", "1")
if "numpy" not in sys.modules:  # imported first, as by `python -m benchmarks`
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, THREADS)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if THREADS == "1":
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
