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
           "jacobian", "jacrev", "jvp", "memory", "source", "value_and_grad", "vjp"]
