"""Rules for the runtime helpers that generated derivative code calls, so that a derivative is
itself a program the transforms can differentiate (second and higher derivatives, by composing
`jvp`, `vjp` and `grad`).

Most helpers are linear in their first argument (an adjoint or tangent being moved around):
their tangent is the same helper of the tangent, and their adjoint is the operation they undo
(the adjoint of `unbroadcast`, which sums over broadcast axes, is broadcasting back). The
matmul adjoints are bilinear: `matmul_adjoint_lhs(g, a, b)` is g @ b^T in numpy's shapes, whose
adjoint for g is c @ b (by the definition of an adjoint: <lhs(g), c> = <g, c @ b>). Helpers
whose result only depends on shapes or is locally constant (seeds, zeros, tie weights) are
non-differentiable; the checks (`check_real`) are kept for their effect.

Every helper the transforms or a rule template can emit is listed here or refused by name.
"""

import numpy as np

from .. import runtime as rt
from ..runtime import (  # noqa: F401
    Dict,
    List,
    Tuple,
    broadcast_like,
    divide_or_zero,
    matmul_adjoint_lhs,
    matmul_adjoint_rhs,
    mT,
    pack_like,
    unbroadcast,
    unindex,
    unpack_like,
    unreduce,
    unstack,
    with_item,
)
from ..runtime.linalg import dot_adjoint_left, dot_adjoint_right  # noqa: F401
from ..runtime.directions import (  # noqa: F401
    direction,
    lift,
    spread_directions,
    stack_directions,
    take_directions,
    total_directions,
    undirection,
    unstack_directions,
    untake_directions,
)
from .registry import elementwise, nondiff, rule

# ---- checks, kept where they stand for their effect (they raise on a bad input)

nondiff(rt.check_real, rt.check_sequence, effect=True)

# ---- values that do not move with the inputs: seeds, zeros, shapes, tie weights (locally constant)

nondiff(rt.scalar_seed, rt.zeros_like_tree, rt.reduced_size, rt.extremum_weights, rt.quantile_weights,
        rt.inverse_axes, rt.linspace_fractions, rt.arange_index, rt.arange_start_slope, rt.updated_in_place)


# ---- the containers adjoints are kept in (items added item by item)


@rule(rt.List, diff=("items",))
def list_rule(items):
    """z = List(items), the list adjoints are kept in: linear, item by item"""

    def tangent(ditems):
        return List(ditems)

    def adjoint(bz):
        return List(bz)


@rule(rt.Tuple, diff=("items",))
def tuple_rule(items):
    """z = Tuple(items), the tuple adjoints are kept in: linear, item by item"""

    def tangent(ditems):
        return Tuple(ditems)

    def adjoint(bz):
        return List(bz)


@rule(rt.Dict, diff=("items",))
def dict_rule(items):
    """z = Dict(items), the dict adjoints are kept in: linear, key by key"""

    def tangent(ditems):
        return Dict(ditems)

    def adjoint(bz):
        return Dict(bz)


# ---- moving an adjoint between shapes


@rule(rt.unbroadcast, diff=("g",), constant_in=("like",))
def unbroadcast_rule(g, like):
    """z = g summed over the axes like was broadcast along: dz = unbroadcast(dg); bg = bz broadcast back"""

    def tangent(dg):
        return unbroadcast(dg, like=like)

    def adjoint(bz):
        return broadcast_like(unbroadcast(bz, like=g), like=g)


@rule(rt.broadcast_like, diff=("t",), constant_in=("like",))
def broadcast_like_rule(t, like):
    """z = t broadcast to like's shape: dz = broadcast_like(dt); bt = bz summed back to t's shape"""

    def tangent(dt):
        return broadcast_like(dt, like=like)

    def adjoint(bz):
        return unbroadcast(bz, like=t)


@rule(rt.unreduce, diff=("g",), constant_in=("like",))
def unreduce_rule(g, like, axis=None, keepdims=False):
    """z = g spread over like's reduced axes: dz = unreduce(dg); bg = bz summed over those axes"""

    def tangent(dg):
        return unreduce(dg, like=like, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        return unbroadcast(np.sum(bz, axis=axis, keepdims=keepdims), like=g)


@rule(rt.unindex, diff=("g",), constant_in=("like", "index"))
def unindex_rule(g, like, index):
    """z = zeros like `like` with g added at index: dz = unindex(dg); bg = bz[index]"""

    def tangent(dg):
        return unindex(dg, like=like, index=index)

    def adjoint(bz):
        return unbroadcast(bz[index], like=g)


@rule(rt.add_at, diff=("b", "g"), constant_in=("like", "index"))
def add_at_rule(b, g, like, index):
    """z = b + unindex(g, like, index) (added into b in place): dz = add_at(db, dg); bb = bz, bg = bz[index]"""

    def tangent(db, dg):
        return unindex(dg, like=like, index=index) + db

    def adjoint(bz):
        return bz, unbroadcast(bz[index], like=g)


@rule(rt.with_item, diff=("a", "value"), constant_in=("index",))
def with_item_rule(a, index, value):
    """z = a copy of a with z[index] = value: bz[index] goes to value, the rest of bz to a"""

    def tangent(da, dvalue):
        return with_item(da, index, dvalue)

    def adjoint(bz):
        return with_item(bz, index, 0.0), unbroadcast(bz[index], like=value)


@rule(rt.pack_like, diff=("parts",), constant_in=("like",))
def pack_like_rule(parts, like):
    """z = the parts' adjoints packed like `like` (a tuple, a list, an array's rows): linear in the parts"""

    def tangent(dparts):
        return pack_like(dparts, like=like)

    def adjoint(bz):
        return unpack_like(bz, like=parts)


@rule(rt.unpack_like, diff=("g",), constant_in=("like",))
def unpack_like_rule(g, like):
    """z = the parts of g (pack_like's adjoint): linear in g"""

    def tangent(dg):
        return unpack_like(dg, like=like)

    def adjoint(bz):
        return pack_like(bz, like=g)


@rule(rt.unstack, diff=("g",))
def unstack_rule(g, axis=0):
    """z = g cut along axis into a list: dz = unstack(dg); bg = the list's adjoints stacked again"""

    def tangent(dg):
        return unstack(dg, axis=axis)

    def adjoint(bz):
        return np.stack(bz, axis=axis)


@rule(rt.mT, diff=("x",))
def mT_rule(x):
    """z = x with its last two axes swapped: dz = mT(dx); bx = mT(bz)"""

    def tangent(dx):
        return mT(dx)

    def adjoint(bz):
        return mT(bz)


# ---- products: the adjoints of matmul and dot are bilinear in (g, the other factor)


@rule(rt.matmul_adjoint_lhs, diff=("g", "b"), constant_in=("a",))
def matmul_adjoint_lhs_rule(g, a, b):
    """z = g @ b^T shaped like a (the adjoint of a @ b for a): bilinear in g and b"""

    def tangent(dg, db):
        return matmul_adjoint_lhs(dg, a, b) + matmul_adjoint_lhs(g, a, db)

    def adjoint(bz):
        return unbroadcast(bz @ b, like=g), matmul_adjoint_rhs(g, bz, b)


@rule(rt.matmul_adjoint_rhs, diff=("g", "a"), constant_in=("b",))
def matmul_adjoint_rhs_rule(g, a, b):
    """z = a^T @ g shaped like b (the adjoint of a @ b for b): bilinear in g and a"""

    def tangent(dg, da):
        return matmul_adjoint_rhs(dg, a, b) + matmul_adjoint_rhs(g, da, b)

    def adjoint(bz):
        return unbroadcast(a @ bz, like=g), matmul_adjoint_lhs(g, a, bz)


@rule(dot_adjoint_left, diff=("g", "b"), constant_in=("a",))
def dot_adjoint_left_rule(g, a, b):
    """z = the adjoint of dot(a, b) for a: bilinear in g and b, <z, c> = <g, dot(c, b)>"""

    def tangent(dg, db):
        return dot_adjoint_left(dg, a, b) + dot_adjoint_left(g, a, db)

    def adjoint(bz):
        return unbroadcast(np.dot(bz, b), like=g), dot_adjoint_right(g, bz, b)


@rule(dot_adjoint_right, diff=("g", "a"), constant_in=("b",))
def dot_adjoint_right_rule(g, a, b):
    """z = the adjoint of dot(a, b) for b: bilinear in g and a, <z, c> = <g, dot(a, c)>"""

    def tangent(dg, da):
        return dot_adjoint_right(dg, a, b) + dot_adjoint_right(g, da, b)

    def adjoint(bz):
        return unbroadcast(np.dot(a, bz), like=g), dot_adjoint_left(g, a, bz)


# ---- elementwise helpers


@elementwise(rt.divide_or_zero)
def divide_or_zero_rule(x, y, z):
    """z = x / y where y != 0, else 0: dz = (dx - z dy) / y there, 0 elsewhere"""
    return divide_or_zero(1.0, y), -divide_or_zero(z, y)


# ---- vector forward mode (runtime/directions.py): tangents with k directions on a leading axis

nondiff(rt.direction_count, rt.zeros_along)


@rule(rt.lift, diff=("t",), constant_in=("like",))
def lift_rule(t, like):
    """z = t with axes of length 1 inserted after its first: a reshape, undone by a reshape"""

    def tangent(dt):
        return lift(dt, like=like)

    def adjoint(bz):
        return np.reshape(bz, np.shape(t))


@rule(rt.direction, diff=("t",))
def direction_rule(t, j):
    """z = the j-th direction of t: linear; the adjoint puts bz back as the j-th direction"""

    def tangent(dt):
        return direction(dt, j)

    def adjoint(bz):
        return undirection(bz, like=t, j=j)


@rule(rt.undirection, diff=("g",), constant_in=("like",))
def undirection_rule(g, like, j):
    """z = zeros like `like` with g as its j-th direction: the adjoint takes that direction"""

    def tangent(dg):
        return undirection(dg, like=like, j=j)

    def adjoint(bz):
        return direction(bz, j)


@rule(rt.stack_directions, diff=("parts",))
def stack_directions_rule(parts):
    """z = the parts (one per direction) stacked on a leading axis: the adjoint cuts bz into directions"""

    def tangent(dparts):
        return stack_directions(dparts)

    def adjoint(bz):
        return unstack_directions(bz, like=parts)


@rule(rt.unstack_directions, diff=("g",), constant_in=("like",))
def unstack_directions_rule(g, like):
    """z = g cut into its directions: the adjoint stacks them again"""

    def tangent(dg):
        return unstack_directions(dg, like=like)

    def adjoint(bz):
        return stack_directions(bz)


@rule(rt.take_directions, diff=("t",))
def take_directions_rule(t, index):
    """z = t[index] in every direction: the adjoint adds bz back at index"""

    def tangent(dt):
        return take_directions(dt, index)

    def adjoint(bz):
        return untake_directions(bz, like=t, index=index)


@rule(rt.untake_directions, diff=("g",), constant_in=("like",))
def untake_directions_rule(g, like, index):
    """z = zeros like `like` with g added at index in every direction: the adjoint takes it back"""

    def tangent(dg):
        return untake_directions(dg, like=like, index=index)

    def adjoint(bz):
        return take_directions(bz, index)


@rule(rt.total_directions, diff=("t",))
def total_directions_rule(t):
    """z = the sum of each direction of t: the adjoint spreads each direction's bz over t"""

    def tangent(dt):
        return total_directions(dt)

    def adjoint(bz):
        return spread_directions(bz, like=t)


@rule(rt.spread_directions, diff=("g",), constant_in=("like",))
def spread_directions_rule(g, like):
    """z = each direction's g spread over like's elements: the adjoint sums each direction"""

    def tangent(dg):
        return spread_directions(dg, like=like)

    def adjoint(bz):
        return total_directions(bz)
