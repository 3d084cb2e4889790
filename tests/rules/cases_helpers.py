"""Cases for tangent_src/rules/helpers.py: the runtime helpers generated code calls, as primitives
(so that a derivative can be differentiated again). The case module imports the helpers as `rt`."""

from __future__ import annotations

from casekit import F, case, positive

CORE = "tangent_src.runtime.core"
DIRECTIONS = "tangent_src.runtime.directions"

CASES = {
    f"{CORE}.unbroadcast": [
        case("rt.unbroadcast(x, like=np.ones(3))", (2, 3)),
        case("rt.unbroadcast(x, like=np.ones((2, 1)))", (2, 3)),
        case("rt.unbroadcast(x, like=np.zeros_like(x, shape=(2, 3)))", (3,)),  # g narrower than like: broadcast up
        case("rt.unbroadcast(x, (3,))", (4, 3)),  # like given as a shape
        case("rt.unbroadcast(x, like=np.ones((4, 3)))", (4, 3)),
        case("rt.unbroadcast(x * y, like=y)", (2, 3), (1, 3)),
    ],
    f"{CORE}.broadcast_like": [
        case("rt.broadcast_like(x, like=np.zeros_like(x, shape=(2, 3)))", (3,)),
        case("rt.broadcast_like(x, like=np.zeros_like(x))", (2, 3)),
        case("rt.broadcast_like(x, like=np.ones((4, 2)))", F),
    ],
    f"{CORE}.unreduce": [
        case("rt.unreduce(x, like=np.ones((2, 3)), axis=0)", (3,)),
        case("rt.unreduce(x, like=np.ones((2, 3)))", ()),
        case("rt.unreduce(x, like=np.ones((2, 3)), axis=1, keepdims=True)", (2, 1)),
        case("rt.unreduce(x, like=np.ones((2, 3, 4)), axis=(0, 2))", (3,)),
    ],
    f"{CORE}.unindex": [
        case("rt.unindex(x, like=np.zeros_like(x, shape=(5,)), index=slice(1, 3))", (2,)),
        case("rt.unindex(x, like=np.ones(4), index=np.array([0, 2, 0]))", (3,)),  # a repeated index adds
        case("rt.unindex(x, like=np.zeros_like(x, shape=(3, 2)), index=1)", (2,)),
    ],
    f"{CORE}.add_at": [
        case("rt.add_at(x * 1.0, y, like=x, index=np.array([1, 1, 3]))", (5,), (3,)),
        case("rt.add_at(x * 1.0, y, like=x, index=slice(0, 2))", (4, 2), (2, 2)),
        case("rt.add_at(x * 1.0, y, like=x, index=2)", (4,), F),
    ],
    f"{CORE}.with_item": [
        case("rt.with_item(x, 1, y)", (4,), F),
        case("rt.with_item(x, slice(0, 2), y)", (4,), (2,)),
        case("rt.with_item(x, 0, y)", (3, 2), (2,)),
    ],
    f"{CORE}.pack_like": [
        case("p = rt.pack_like((x, y), like=(np.ones(3), np.ones(2)))\nreturn np.sum(p[0]) * p[1]", (3,), (2,)),
        case("rt.pack_like((x, y), like=np.ones((2, 3)))", (3,), (3,)),  # the rows of an array
        case("p = rt.pack_like((x, None), like=(1.0, np.ones(2)))\nreturn p[0] * 2.0", F),
    ],
    f"{CORE}.unpack_like": [
        case("p = rt.unpack_like(x, like=(1.0, 2.0))\nreturn p[0] * p[1]", (2,)),
        case("g = (x, y)\np = rt.unpack_like(g, like=(1.0, np.ones(2)))\nreturn p[0] * p[1]", F, (2,)),
    ],
    f"{CORE}.unstack": [
        case("p = rt.unstack(x, axis=1)\nreturn p[0] * p[1]", (3, 2)),
        case("p = rt.unstack(x)\nreturn p[0] - 2.0 * p[2]", (3, 4)),
    ],
    f"{CORE}.mT": [case("rt.mT(x)", (2, 3, 4)), case("rt.mT(x) * y", (3, 2), (2, 3))],
    f"{CORE}.matmul_adjoint_lhs": [
        case("rt.matmul_adjoint_lhs(x, np.ones((2, 3)), y)", (2, 4), (3, 4)),
        case("rt.matmul_adjoint_lhs(x, np.ones(3), y)", (4,), (3, 4)),  # a 1-D left operand
        case("rt.matmul_adjoint_lhs(x, np.ones((2, 3)), y)", (2,), (3,)),  # a 1-D right operand
        case("rt.matmul_adjoint_lhs(x, np.ones(3), y)", (), (3,)),  # both 1-D: an inner product
        case("rt.matmul_adjoint_lhs(x, np.ones((2, 3)), y)", (5, 2, 4), (5, 3, 4)),  # a broadcast batch
    ],
    f"{CORE}.matmul_adjoint_rhs": [
        case("rt.matmul_adjoint_rhs(x, y, np.ones((3, 4)))", (2, 4), (2, 3)),
        case("rt.matmul_adjoint_rhs(x, y, np.ones((3, 4)))", (4,), (3,)),
        case("rt.matmul_adjoint_rhs(x, y, np.ones(3))", (2,), (2, 3)),
        case("rt.matmul_adjoint_rhs(x, y, np.ones(3))", (), (3,)),
        case("rt.matmul_adjoint_rhs(x, y, np.ones((3, 4)))", (5, 2, 4), (5, 2, 3)),
    ],
    "tangent_src.runtime.linalg.dot_adjoint_left": [
        case("rt.dot_adjoint_left(x, np.ones(3), y)", (2,), (3, 2)),
        case("rt.dot_adjoint_left(x, 2.0, y)", (3,), (3,)),  # a scalar operand multiplies
        case("rt.dot_adjoint_left(x, np.ones((2, 3, 4)), y)", (2, 3, 5), (4, 5)),  # N-d: tensordot's
    ],
    "tangent_src.runtime.linalg.dot_adjoint_right": [
        case("rt.dot_adjoint_right(x, y, np.ones((3, 2)))", (2,), (3,)),
        case("rt.dot_adjoint_right(x, y, 2.0)", (3,), (3,)),
        case("rt.dot_adjoint_right(x, y, np.ones((4, 5)))", (2, 3, 5), (2, 3, 4)),
    ],
    f"{CORE}.divide_or_zero": [
        case("rt.divide_or_zero(x, y)", (3,), (3,), y=positive),
        case("rt.divide_or_zero(x, y)", (2, 3), F, y=positive),
    ],
    f"{DIRECTIONS}.lift": [case("rt.lift(x, like=np.ones((2, 3)))", (4, 3)),
                           case("rt.lift(x, like=np.ones(3))", (4, 3)),
                           case("rt.lift(x, like=np.ones((2, 3))) * y", (4,), (2, 3))],
    f"{DIRECTIONS}.direction": [case("rt.direction(x, 1)", (3, 2)),
                                case("p = rt.direction((x, y), 0)\nreturn p[0] * p[1]", (2, 3), (2, 3))],
    f"{DIRECTIONS}.undirection": [case("rt.undirection(x, like=np.zeros_like(x, shape=(3, 2)), j=1)", (2,))],
    f"{CORE}.List": [case("p = rt.List([x, y * x])\nreturn p[0] * p[1]", (3,), (3,))],
    f"{CORE}.Tuple": [case("p = rt.Tuple([x, y])\nreturn np.sum(p[0]) * p[1]", (3,), (2,))],
    f"{CORE}.Dict": [case("p = rt.Dict({'a': x, 'b': y})\nreturn np.sum(p['a']) * p['b']", (3,), (2,))],
    f"{DIRECTIONS}.stack_directions": [case("rt.stack_directions([x, y, x * y])", (2,), (2,))],
    f"{DIRECTIONS}.unstack_directions": [case("p = rt.unstack_directions(x, like=[1.0, 2.0])\nreturn p[0] * p[1]",
                                              (2, 3))],
    f"{DIRECTIONS}.take_directions": [case("rt.take_directions(x, 1)", (2, 3)),
                                      case("rt.take_directions(x, (slice(0, 2), 1))", (2, 3, 2)),
                                      case("rt.take_directions(x, np.array([0, 2, 0]))", (2, 3))],
    f"{DIRECTIONS}.untake_directions": [case("rt.untake_directions(x, like=np.ones((2, 3)), index=np.array([0, 2, 0]))",
                                              (2, 3))],
    f"{DIRECTIONS}.total_directions": [case("rt.total_directions(x)", (3, 2, 2)), case("rt.total_directions(x)", (3,))],
    f"{DIRECTIONS}.spread_directions": [case("rt.spread_directions(x, like=np.ones((3, 2, 2)))", (3,))],
}
