"""Helpers of the np.einsum rule (rules/linear_algebra.py): its tangent and adjoints, for the
subscripts form `einsum('ij,jk->ik', a, b)` and the sublist form `einsum(a, [0, 1], b, [1, 2], [0, 2])`.

Stage: none (run time); see tangent_src/runtime/__init__.py. The sublist form is turned into
the subscripts form here (integer k is the letter numpy gives it: 'A' + k, then 'a' + k - 26).
"""

import numpy as np

from .core import List, unbroadcast
from .linalg import _ones_on_diagonal

_EINSUM_ELLIPSIS = "..."
_SUBLIST_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum_labels(term):
    """'ij...k' -> ['i', 'j', '...', 'k']."""
    labels, i = [], 0
    while i < len(term):
        if term.startswith(_EINSUM_ELLIPSIS, i):
            labels.append(_EINSUM_ELLIPSIS)
            i += 3
        else:
            labels.append(term[i])
            i += 1
    return labels


def _einsum_parse(subscripts, count):
    """The label lists of an einsum's operands and of its output (made explicit as numpy does:
    the labels used once, in alphabetical order, after the ellipsis if there is one)."""
    text = subscripts.replace(" ", "")
    inputs_text, arrow, output_text = text.partition("->")
    inputs = [_einsum_labels(t) for t in inputs_text.split(",")]
    if len(inputs) != count:
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, but {count} were given")
    if arrow:
        output = _einsum_labels(output_text)
    else:
        letters = [label for labels in inputs for label in labels if label != _EINSUM_ELLIPSIS]
        output = ([_EINSUM_ELLIPSIS] if any(_EINSUM_ELLIPSIS in labels for labels in inputs) else []) + sorted(
            label for label in set(letters) if letters.count(label) == 1)
    if _EINSUM_ELLIPSIS not in output:  # then every ellipsis stands for no axes at all
        inputs = [[label for label in labels if label != _EINSUM_ELLIPSIS] for labels in inputs]
    return inputs, output


def _sublist_term(sublist):
    """[0, 1, Ellipsis] -> 'AB...': an einsum sublist as the subscripts numpy reads it as."""
    term = ""
    for label in sublist:
        if label is Ellipsis:
            term += _EINSUM_ELLIPSIS
        elif 0 <= int(label) < len(_SUBLIST_LETTERS):
            term += _SUBLIST_LETTERS[int(label)]
        else:
            raise ValueError(f"einsum sublist labels are integers in [0, 52); got {label!r}")
    return term


def einsum_standard(subscripts, operands):
    """An einsum call as (subscripts string, operand arrays, where each array is in `operands`).

    For the subscripts form the arrays are `operands` (positions 0, 1, ...). For the sublist form
    einsum(x0, s0, x1, s1, ..., [out]) the rule's `subscripts` holds x0 (position -1) and
    `operands` the rest: sublists at even positions, arrays at odd ones.
    """
    if isinstance(subscripts, str):
        return subscripts, list(operands), list(range(len(operands)))
    full = [subscripts, *operands]
    pairs = len(full) // 2
    terms = [_sublist_term(full[2 * k + 1]) for k in range(pairs)]
    text = ",".join(terms) + ("->" + _sublist_term(full[-1]) if len(full) % 2 else "")
    return text, [full[2 * k] for k in range(pairs)], [2 * k - 1 for k in range(pairs)]


def einsum_tangent(subscripts, operands, tangents, optimize=False):
    """Tangent of z = einsum(subscripts, x_1, ..., x_n): sum over k of the same einsum with x_k
    replaced by its tangent dx_k (z is linear in each operand). In the sublist form, the
    operands after the first (the rule adds the first one's term itself)."""
    total = 0.0
    if isinstance(subscripts, str):
        for k, tangent in enumerate(tangents):
            total = total + np.einsum(subscripts, *operands[:k], tangent, *operands[k + 1:], optimize=optimize)
        return total
    for k in einsum_standard(subscripts, operands)[2][1:]:
        total = total + np.einsum(subscripts, *operands[:k], tangents[k], *operands[k + 1:], optimize=optimize)
    return total


def einsum_adjoint(g, subscripts, operands, optimize=False):
    """Adjoints of z = einsum(subscripts, x_1, ..., x_n), one per item of `operands`:
    bx_k = einsum(g with the other operands, giving x_k's labels) (see `_einsum_adjoint_of`).
    In the sublist form the sublists get None, and the first operand is einsum_adjoint_first's."""
    text, arrays, positions = einsum_standard(subscripts, operands)
    inputs, output = _einsum_parse(text, len(arrays))
    adjoints = [None] * len(operands)
    for k, position in enumerate(positions):
        if position >= 0:
            adjoints[position] = _einsum_adjoint_of(g, inputs, output, arrays, k, optimize)
    return List(adjoints)


def einsum_adjoint_first(g, subscripts, operands, optimize=False):
    """Adjoint of z = einsum(x0, sublist0, ...) (the sublist form) for its first operand x0,
    which the rule's `subscripts` holds."""
    text, arrays, _ = einsum_standard(subscripts, operands)
    inputs, output = _einsum_parse(text, len(arrays))
    return _einsum_adjoint_of(g, inputs, output, arrays, 0, optimize)


def _einsum_adjoint_of(g, inputs, output, operands, k, optimize=False):
    """The adjoint of z = einsum for operand k: einsum(g with the other operands, giving x_k's labels).

    Where x_k's labels are not all free in that product: a label used only by
    x_k (summed in z) is broadcast, by a vector of ones; a repeated label (a
    diagonal, as in 'ii->i') is spread over the diagonal, by an identity matrix
    linking the repeats; an axis that numpy broadcast (the ellipsis, or a length
    one) is summed back by unbroadcast, or, where only x_k had its full length,
    broadcast to it.
    """
    used = {label for labels in inputs + [output] for label in labels}
    fresh = iter(c for c in _SUBLIST_LETTERS if c not in used)
    x, labels = operands[k], inputs[k]
    others = [inputs[j] for j in range(len(operands)) if j != k]
    available = set(output).union(*others)
    shape = np.shape(x)
    explicit = [label for label in labels if label != _EINSUM_ELLIPSIS]
    split = labels.index(_EINSUM_ELLIPSIS) if _EINSUM_ELLIPSIS in labels else len(labels)
    sizes = [shape[i] for i in range(split)] + [shape[len(shape) - len(labels) + i]
                                                 for i in range(split + 1, len(labels))]
    ellipsis_shape = shape[split:len(shape) - (len(labels) - split - 1)] if _EINSUM_ELLIPSIS in labels else ()
    terms = ["".join(output)] + ["".join(o) for o in others]
    values = [g] + [operands[j] for j in range(len(operands)) if j != k]
    result, seen = [], set()
    for label, size in zip(explicit, sizes):
        if label in seen:  # a repeat: a new label, tied to the first by the identity
            new = next(fresh)
            terms.append(label + new)
            values.append(_ones_on_diagonal(x, size))
            result.append(new)
            continue
        seen.add(label)
        result.append(label)
        if label not in available:  # summed in z over x_k alone: every element gets g
            terms.append(label)
            values.append(np.ones_like(x, shape=(size,)))
    lead = _EINSUM_ELLIPSIS if _EINSUM_ELLIPSIS in output else ""
    scale = 1.0
    if not output and np.ndim(g) == 0 and len(values) > 1:  # a scalar z: g scales the product
        scale, terms, values = g, terms[1:], values[1:]
    gk = scale * np.einsum(",".join(terms) + "->" + lead + "".join(result), *values, optimize=optimize)
    found = np.shape(gk)
    free = found[len(found) - len(sizes):]
    if any(have == 1 and want != 1 for have, want in zip(free, sizes)):  # only x_k's length counted
        gk = np.broadcast_to(gk, found[:len(found) - len(sizes)] + tuple(map(max, free, sizes)))
    gk = unbroadcast(gk, tuple(ellipsis_shape) + tuple(sizes))
    if ellipsis_shape and split:
        count = len(ellipsis_shape)
        gk = np.moveaxis(gk, list(range(count)), list(range(split, split + count)))
    return gk
