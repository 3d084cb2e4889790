"""Data movement: elements rearranged, copied, selected or padded, never combined by arithmetic.

Each of these primitives is linear in its array argument, so the tangent applies
the primitive itself to the tangent, and the adjoint sends every element of bz
back to where it came from (adding up where an element was used several times:
repeat, tile, take, broadcast_to).
"""

import numpy as np

from .registry import array_method, rule
from ..runtime import (  # noqa: F401  (names used by templates)
    cast_derivative,
    constant_only,
    none_of,
    selected,
    partitioned_like,
    unappend_head,
    unappend_tail,
    unchoose,
    unhsplit,
    unpartition,
    unrollaxis,
    sorted_like,
    unbroadcast,
    unhstack,
    unpad,
    unrepeat,
    unroll,
    unselect,
    unsort,
    untake,
    untake_along_axis,
    untile,
    unvstack,
)

# ---- new views of the same elements


@rule("numpy.ravel", diff=("a",), view=True)
def ravel(a, order="C"):
    """z = a flattened to one axis; the adjoint reshapes bz back to a's shape"""

    def tangent(da):
        return np.ravel(da, order=order)

    def adjoint(bz):
        return np.reshape(bz, np.shape(a), order=order)


@rule("ndarray.flatten", diff=("a",))
def flatten(a, order="C"):
    """z = a.flatten(), a flattened copy of a; the adjoint reshapes bz back to a's shape"""

    def tangent(da):
        return da.flatten(order=order)

    def adjoint(bz):
        return np.reshape(bz, np.shape(a), order=order)


@rule("numpy.swapaxes", diff=("a",), view=True)
def swapaxes(a, axis1, axis2):
    """z = a with two axes exchanged; exchanging them again undoes it"""

    def tangent(da):
        return np.swapaxes(da, axis1, axis2)

    def adjoint(bz):
        return np.swapaxes(bz, axis1, axis2)


@rule("numpy.moveaxis", diff=("a",), view=True)
def moveaxis(a, source, destination):
    """z = a with axes moved from source to destination; the adjoint moves them back"""

    def tangent(da):
        return np.moveaxis(da, source, destination)

    def adjoint(bz):
        return np.moveaxis(bz, destination, source)


@rule("numpy.rollaxis", diff=("a",), view=True)
def rollaxis(a, axis, start=0):
    """z = a with `axis` moved to just before `start` (np.moveaxis is the newer spelling); the adjoint moves it back"""

    def tangent(da):
        return np.rollaxis(da, axis, start)

    def adjoint(bz):
        return unrollaxis(bz, like=a, axis=axis, start=start)


@rule("numpy.expand_dims", diff=("a",), view=True)
def expand_dims(a, axis):
    """z = a with new axes of length 1 at `axis` (positions in z); the adjoint removes them"""

    def tangent(da):
        return np.expand_dims(da, axis)

    def adjoint(bz):
        return np.squeeze(bz, axis=axis)


@rule("numpy.squeeze", diff=("a",), view=True)
def squeeze(a, axis=None):
    """z = a without its axes of length 1 (or those at `axis`); the adjoint reshapes bz back"""

    def tangent(da):
        return np.squeeze(da, axis=axis)

    def adjoint(bz):
        return np.reshape(bz, np.shape(a))


@rule("numpy.broadcast_to", diff=("array",), view=True)
def broadcast_to(array, shape):
    """z = array broadcast to shape: each element is used many times, so its adjoint sums bz over them"""

    def tangent(darray):
        return np.broadcast_to(darray, shape)

    def adjoint(bz):
        return unbroadcast(bz, like=array)


@rule("numpy.flip", diff=("m",), view=True)
def flip(m, axis=None):
    """z = m reversed along axis (all axes by default); flipping again undoes it"""

    def tangent(dm):
        return np.flip(dm, axis=axis)

    def adjoint(bz):
        return np.flip(bz, axis=axis)


# ---- rearranged copies


@rule("numpy.copy", diff=("a",))
def copy(a, order="K"):
    """z = a copy of a: dz = da (derivatives are never written in place, so they need no copy)"""

    def tangent(da):
        return da

    def adjoint(bz):
        return bz


@rule("numpy.astype", diff=("x",))
def astype(x, dtype, copy=True):
    """z = x cast to dtype: dz = dx in the new dtype, bx = bz back in x's; zero for an integer or boolean dtype"""

    def tangent(dx, z):
        return cast_derivative(dx, to=z)

    def adjoint(bz, z):
        return cast_derivative(bz, to=x, through=z)


@rule("numpy.roll", diff=("a",))
def roll(a, shift, axis=None):
    """z = a shifted cyclically by `shift` along axis (the flattened a by default); the adjoint rolls bz back"""

    def tangent(da):
        return np.roll(da, shift, axis=axis)

    def adjoint(bz):
        return unroll(bz, shift, axis=axis)


@rule("numpy.sort", diff=("a",))
def sort(a, axis=-1, kind=None, order=None):
    """z = a sorted along axis, a permutation P of a: dz = P da, ba = P^T bz"""

    # tied elements may be permuted either way; both derivatives follow argsort's order
    def tangent(da):
        return sorted_like(da, a, axis=axis)

    def adjoint(bz):
        return unsort(bz, a, axis=axis)


@rule("numpy.partition", diff=("a",))
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """z = a rearranged along axis with z[kth] in its sorted place, a permutation P of a: dz = P da, ba = P^T bz"""

    # P is read off a and z themselves (numpy and cupy need not arrange the two sides as
    # argpartition would); tied elements may be matched either way, as for sort
    def tangent(da, z):
        return partitioned_like(da, a, z, axis=axis)

    def adjoint(bz, z):
        return unpartition(bz, a, z, axis=axis)


# ---- joined and cut


@rule("numpy.hstack", diff=("tup",))
def hstack(tup):
    """z = the arrays joined along axis 1 (axis 0 for 1-D ones); the adjoint cuts bz where they were joined"""

    def tangent(dtup):
        return np.hstack(dtup)

    def adjoint(bz):
        return unhstack(bz, like=tup)


# np.row_stack, deprecated in numpy 2, is np.vstack; registered only while numpy has it
@rule("numpy.vstack", diff=("tup",), aliases=("numpy.row_stack",) if hasattr(np, "row_stack") else ())
def vstack(tup):
    """z = the arrays joined along axis 0 (a 1-D array as one row); the adjoint cuts bz where they were joined"""

    def tangent(dtup):
        return np.vstack(dtup)

    def adjoint(bz):
        return unvstack(bz, like=tup)


@rule("numpy.split", diff=("ary",), view=True)
def split(ary, indices_or_sections, axis=0):
    """z = a list of pieces of ary cut along axis; the adjoint joins the pieces' adjoints again"""

    def tangent(dary):
        return np.split(dary, indices_or_sections, axis=axis)

    def adjoint(bz):
        return np.concatenate(bz, axis=axis)


@rule("numpy.array_split", diff=("ary",), view=True)
def array_split(ary, indices_or_sections, axis=0):
    """z = a list of pieces of ary cut along axis (maybe unequal); the adjoint joins the pieces' adjoints"""

    def tangent(dary):
        return np.array_split(dary, indices_or_sections, axis=axis)

    def adjoint(bz):
        return np.concatenate(bz, axis=axis)


@rule("numpy.hsplit", diff=("ary",), view=True)
def hsplit(ary, indices_or_sections):
    """z = pieces of ary cut along axis 1 (axis 0 for a 1-D ary); the adjoint joins the pieces' adjoints"""

    def tangent(dary):
        return np.hsplit(dary, indices_or_sections)

    def adjoint(bz):
        return unhsplit(bz, like=ary)


@rule("numpy.vsplit", diff=("ary",), view=True)
def vsplit(ary, indices_or_sections):
    """z = pieces of ary cut along axis 0; the adjoint joins the pieces' adjoints"""

    def tangent(dary):
        return np.vsplit(dary, indices_or_sections)

    def adjoint(bz):
        return np.concatenate(bz, axis=0)


@rule("numpy.dsplit", diff=("ary",), view=True)
def dsplit(ary, indices_or_sections):
    """z = pieces of ary cut along axis 2; the adjoint joins the pieces' adjoints"""

    def tangent(dary):
        return np.dsplit(dary, indices_or_sections)

    def adjoint(bz):
        return np.concatenate(bz, axis=2)


@rule("numpy.append", diff=("arr", "values"))
def append(arr, values, axis=None):
    """z = values joined after arr along axis (both flattened without one): the adjoint cuts bz where they meet"""

    def tangent(darr, dvalues):
        return np.append(darr, dvalues, axis=axis)

    def adjoint(bz):
        return unappend_head(bz, like=arr, axis=axis), unappend_tail(bz, head=arr, like=values, axis=axis)


# ---- elements used several times, or not at all


@rule("numpy.tile", diff=("A",))
def tile(A, reps):
    """z = copies of A laid side by side reps times; each copy adds its part of bz to bA"""

    def tangent(dA):
        return np.tile(dA, reps)

    def adjoint(bz):
        return untile(bz, like=A, reps=reps)


@rule("numpy.repeat", diff=("a",))
def repeat(a, repeats, axis=None):
    """z = each element of a repeated `repeats` times along axis; ba sums bz over each element's copies"""

    def tangent(da):
        return np.repeat(da, repeats, axis=axis)

    def adjoint(bz):
        return unrepeat(bz, like=a, repeats=repeats, axis=axis)


@rule("numpy.take", diff=("a",))
def take(a, indices, axis=None, mode="raise"):
    """z = the elements of a at indices along axis; ba adds bz back at the indices (repeated ones add up)"""

    def tangent(da):
        return np.take(da, indices, axis=axis, mode=mode)

    def adjoint(bz):
        return untake(bz, like=a, indices=indices, axis=axis, mode=mode)


@rule("numpy.take_along_axis", diff=("arr",))
def take_along_axis(arr, indices, axis=-1):
    """z[i] = arr at indices[i] along axis; barr adds bz back where it was taken (repeated indices add up)"""

    def tangent(darr):
        return np.take_along_axis(darr, indices, axis=axis)

    def adjoint(bz):
        return untake_along_axis(bz, like=arr, indices=indices, axis=axis)


@rule("numpy.select", diff=("choicelist", "default"))
def select(condlist, choicelist, default=0):
    """z = choicelist[i] where condlist[i] is the first condition to hold, default where none does"""

    def tangent(dchoicelist, ddefault):
        return selected(condlist, dchoicelist) + ddefault * none_of(condlist)

    def adjoint(bz):
        return unselect(bz, condlist, like=choicelist), unbroadcast(bz * none_of(condlist), like=default)


@rule("numpy.choose", diff=("choices",))
def choose(a, choices, mode="raise"):
    """z[i] = choices[a[i]][i] (a and the choices broadcast together): a choice's adjoint is bz where it was chosen"""

    def tangent(dchoices):
        return np.choose(a, dchoices, mode=mode)

    def adjoint(bz):
        return unchoose(bz, a, like=choices, mode=mode)


@rule("numpy.pad", diff=("array",))
def pad(array, pad_width, mode="constant", constant_values=0):
    """z = array inside a border of constants: dz = da padded with zeros; ba is the middle of bz"""

    # only mode="constant": other modes copy or combine border elements (a clear error at run time)
    def tangent(darray):
        return np.pad(darray, pad_width, mode=constant_only(mode))

    def adjoint(bz):
        return unpad(bz, pad_width, mode=mode)


# ---- method spellings: x.ravel(), x.take(...) ... mean the functions above (x.sort() sorts in place: none)

for _name in ("ravel", "squeeze", "swapaxes", "repeat", "take", "copy", "astype"):
    array_method(_name, f"numpy.{_name}")
array_method("flatten", "ndarray.flatten")
