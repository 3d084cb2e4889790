"""tangent_src: source-to-source automatic differentiation of numpy code.

    import tangent_src as ts
    ts.grad(f, wrt=0)(*args)
    print(ts.source(ts.grad(f)))
"""

from .api import differentiate, grad, jvp, source, value_and_grad, vjp
from .errors import TransformError
from .gradcheck import check_grad
from .graph import graph
from .higher import hessian, hvp, jacfwd, jacobian, jacrev
from .memory import checkpoint, memory

__version__ = "0.1.0"
__all__ = ["TransformError", "check_grad", "checkpoint", "differentiate", "grad", "graph", "hessian", "hvp", "jacfwd",
           "jacobian", "jacrev", "jvp", "memory", "profile", "source", "value_and_grad", "vjp"]


def __getattr__(name: str):  # noqa: ANN202
    """`ts.profile` (tangent_src/profiling.py): imported at its first use, not by `import tangent_src`."""
    if name == "profile":
        from .profiling import profile

        globals()["profile"] = profile
        return profile
    raise AttributeError(f"module 'tangent_src' has no attribute {name!r}")
