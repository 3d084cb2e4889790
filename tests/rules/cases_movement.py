"""Cases for tangent_src/rules/movement.py: views, copies, joins and cuts, repeats, takes, select, choose, pad,
sort and partition."""

from __future__ import annotations

import numpy as np

from casekit import F, Case, _bands, case, distinct, not_near_integer

away_from_zero = _bands((-2.0, -0.3), (0.3, 2.0))  # for conditions x > 0 and x < 0
away_from_bounds = _bands((-2.0, -1.2), (-0.8, 0.8), (1.2, 2.0))  # for conditions at -1 and 1

CASES: dict[str, list[Case]] = {
    # ---- views
    "numpy.ravel": [
        case("np.ravel(x)", (2, 3)),
        case("np.ravel(x) * y", (2, 3), (6,)),
        case("np.ravel(x, order='F')", (2, 3, 2)),
        case("np.ravel(x)", ()),
        case("np.ravel(x)", F),
        case("x.ravel()", (3, 2)),
        case("x.ravel('F')", (3, 2)),
        case("x.T.ravel() * x.ravel()", (2, 3)),
    ],
    "ndarray.flatten": [
        case("x.flatten()", (2, 3)),
        case("x.flatten(order='F') ** 2", (2, 3, 2)),
        case("x.flatten() * y", (2, 2), (1,)),
    ],
    "numpy.swapaxes": [
        case("np.swapaxes(x, 0, 1)", (2, 3)),
        case("np.swapaxes(x, 0, -1)", (2, 3, 4)),
        case("np.swapaxes(x, -2, -1) * y", (2, 3, 4), (3,)),
        case("x.swapaxes(1, 2)", (2, 3, 4)),
        case("x.swapaxes(0, 0)", (2, 3)),
    ],
    "numpy.moveaxis": [
        case("np.moveaxis(x, 0, -1)", (2, 3, 4)),
        case("np.moveaxis(x, -1, 0)", (2, 3, 4)),
        case("np.moveaxis(x, [0, 1], [-1, -2])", (2, 3, 4)),
        case("np.moveaxis(x, source=(0, 2), destination=(2, 0)) * y", (2, 3, 4), (1, 3, 1)),
    ],
    "numpy.rollaxis": [
        case("np.rollaxis(x, 2)", (2, 3, 4)),
        case("np.rollaxis(x, 0, 3)", (2, 3, 4)),
        case("np.rollaxis(x, 2, 1) * y", (2, 3, 4), (4, 1)),
        case("np.rollaxis(x, -1, -2)", (2, 3, 4)),
        case("np.rollaxis(x, axis=1, start=0)", (2, 3, 4)),
        case("np.rollaxis(x, 1, 1)", (2, 3)),  # no move
    ],
    "numpy.expand_dims": [
        case("np.expand_dims(x, 0)", (3,)),
        case("np.expand_dims(x, -1) * y", (3,), (2, 3, 4)),
        case("np.expand_dims(x, axis=(0, 2))", (2, 3)),
        case("np.expand_dims(x, 0)", ()),
        case("np.expand_dims(x, 0)", F),
    ],
    "numpy.squeeze": [
        case("np.squeeze(x)", (1, 3, 1)),
        case("np.squeeze(x, axis=0)", (1, 3, 1)),
        case("np.squeeze(x, -1) * y", (2, 3, 1), (3,)),
        case("np.squeeze(x, axis=(0, 2))", (1, 3, 1)),
        case("np.squeeze(x)", (1, 1)),
        case("x.squeeze()", (1, 3, 1)),
        case("x.squeeze(0)", (1, 3)),
        case("x.squeeze(axis=-1)", (2, 1)),
    ],
    "numpy.broadcast_to": [
        case("np.broadcast_to(x, (2, 3))", (3,)),
        case("np.broadcast_to(x, (4, 2, 3))", (2, 1)),
        case("np.broadcast_to(x, shape=(2, 3)) * y", (), (2, 3)),
        case("np.broadcast_to(x, (3,))", F),
        case("np.broadcast_to(x, x.shape)", (2, 3)),
    ],
    "numpy.flip": [
        case("np.flip(x)", (2, 3)),
        case("np.flip(x, 0)", (2, 3)),
        case("np.flip(x, axis=-1) * x", (2, 3)),
        case("np.flip(x, axis=(0, 2))", (2, 3, 2)),
        case("np.flip(x) * y", (3,), (2, 1)),
    ],
    # ---- rearranged copies
    "numpy.copy": [
        case("np.copy(x)", (2, 3)),
        case("np.copy(x) * y", (2, 3), (3,)),
        case("np.copy(x, order='F')", (2, 3)),
        case("x.copy()", (3,)),
        case("y = x.copy()\ny[0] = 2.0 * x[1]\nreturn y * x", (3,)),
        case("np.copy(x)", F),
    ],
    "numpy.astype": [
        case("x.astype(np.float64)", (2, 3)),
        case("x.astype(float) * y", (2, 3), (3,)),
        case("x.astype('float64', copy=False) * x", (3,)),
        case("np.astype(x, np.float64)", (2, 3)),
        case("x * x.astype(int)", (2, 3), x=not_near_integer),  # an integer result carries no derivative
        case("x.astype(np.float32).astype(np.float64) * 0.0 + x", (3,)),  # through float32 and back
    ],
    "numpy.roll": [
        case("np.roll(x, 1)", (5,)),
        case("np.roll(x, -2)", (2, 3)),
        case("np.roll(x, 1, axis=0)", (2, 3)),
        case("np.roll(x, 2, axis=-1) * y", (2, 3), (3,)),
        case("np.roll(x, (1, -1), axis=(0, 1))", (2, 3)),
        case("np.roll(x, shift=[2, 1], axis=[1, 1])", (2, 4)),
    ],
    "numpy.sort": [
        case("np.sort(x)", (5,), x=distinct),
        case("np.sort(x)", (2, 3), x=distinct),
        case("np.sort(x, axis=0)", (3, 2), x=distinct),
        case("np.sort(x, axis=-2) * y", (2, 3, 2), (3, 1), x=distinct),
        case("np.sort(x, axis=None)", (2, 3), x=distinct),
        case("np.sort(x, kind='stable')[-1] - np.sort(x)[0]", (4,), x=distinct),
        case("np.sort(x * y)", (4,), (4,), x=distinct, y=lambda rng, s: rng.uniform(1.0, 1.1, s)),
    ],
    "numpy.partition": [
        case("np.partition(x, 2)", (5,), x=distinct),
        case("np.partition(x, 1, axis=0)", (3, 2), x=distinct),
        case("np.partition(x, [0, 2])", (2, 4), x=distinct),
        case("np.partition(x, 3, axis=None)", (2, 3), x=distinct),
        case("np.partition(x, -1) * y", (2, 4), (4,), x=distinct),
        case("np.sum(np.partition(x, 2)[:3])", (6,), x=distinct),  # the 3 smallest, in any order
        case("np.partition(x * y, 1)", (4,), (4,), x=distinct, y=lambda rng, s: rng.uniform(1.0, 1.1, s)),
    ],
    # ---- joined and cut
    "numpy.hstack": [
        case("np.hstack([x, y])", (3,), (2,)),
        case("np.hstack((x, y, x))", (2, 3), (2, 1)),
        case("np.hstack([x, y * x, 2.0])", (), ()),
        case("np.hstack([x, y])", (2, 3, 2), (2, 1, 2)),
        case("np.hstack(x)", (2, 3)),  # an array's rows, joined
        case("np.hstack([x, y]) * w", (2,), (3,), (5,)),
    ],
    "numpy.vstack": [
        case("np.vstack([x, y])", (3,), (3,)),
        case("np.vstack((x, y))", (2, 3), (1, 3)),
        case("np.vstack([x, y, x * y])", (2, 3), (2, 3)),
        case("np.vstack([x, y])", (3,), (2, 3)),
        case("np.vstack([x, y]) * w", (), (), (2, 1), names="x, y, w"),
        case("np.vstack(x)", (2, 3)),
        *([case("np.row_stack([x, y])", (3,), (2, 3))] if hasattr(np, "row_stack") else []),
    ],
    "numpy.split": [
        case("a, b = np.split(x, 2)\nreturn a * b", (4,)),
        case("a, b, c = np.split(x, [1, 3], axis=1)\nreturn a * np.sum(c) + np.sum(b)", (2, 5)),
        case("a, b = np.split(x, 2, axis=-1)\nreturn a", (2, 4)),
        case("a, b, c = np.split(x, 3)\nreturn c - a", (3, 2)),
        case("parts = np.split(x, 2)\nreturn parts[0] * parts[1]", (4,)),
        case("return np.split(x, [2])[1]", (5,)),
    ],
    "numpy.array_split": [
        case("a, b = np.array_split(x, 2)\nreturn np.sum(a) * b", (5,)),
        case("a, b, c = np.array_split(x, 3, axis=1)\nreturn np.concatenate([c, a], axis=1) * b[:, :1]", (2, 7)),
        case("a, b = np.array_split(x, [3], axis=-2)\nreturn b", (4, 2)),
    ],
    "numpy.hsplit": [
        case("a, b = np.hsplit(x, 2)\nreturn a * b", (3, 4)),
        case("a, b = np.hsplit(x, [1])\nreturn np.sum(a) * b", (5,)),
        case("return np.hsplit(x, [1, 2])[2]", (2, 4, 2)),
        case("parts = np.hsplit(x, 3)\nreturn parts[0] - parts[2]", (2, 3)),
    ],
    "numpy.vsplit": [
        case("a, b = np.vsplit(x, 2)\nreturn a * b", (4, 3)),
        case("a, b, c = np.vsplit(x, [1, 2])\nreturn np.sum(c) * a", (3, 2, 2)),
    ],
    "numpy.dsplit": [
        case("a, b = np.dsplit(x, 2)\nreturn a * b", (2, 3, 4)),
        case("return np.dsplit(x, [1])[1]", (1, 2, 3)),
    ],
    "numpy.append": [
        case("np.append(x, y)", (2, 3), (2,)),
        case("np.append(x, y, axis=0)", (2, 3), (1, 3)),
        case("np.append(x, y, axis=-1)", (2, 3), (2, 2)),
        case("np.append(x, 2.0)", (3,)),
        case("np.append(2.0, x) * x[0, 0]", (2, 2)),
        case("np.append(x, y)", (3,), F),
        case("np.append(x, x * y, axis=1)", (2, 1), (2, 1)),
    ],
    # ---- repeated, taken, selected, padded
    "numpy.tile": [
        case("np.tile(x, 2)", (3,)),
        case("np.tile(x, (2, 1))", (2, 3)),
        case("np.tile(x, (2, 1, 3))", (2, 3)),
        case("np.tile(x, 2) * y", (2, 3), (6,)),
        case("np.tile(x, (3, 2))", ()),
        case("np.tile(x, [2])", (2, 2, 2)),
        case("np.tile(x, 3)", F),
    ],
    "numpy.repeat": [
        case("np.repeat(x, 2)", (2, 3)),
        case("np.repeat(x, 3, axis=0)", (2, 3)),
        case("np.repeat(x, 2, axis=-1) * y", (2, 3), (6,)),
        case("np.repeat(x, [1, 0, 2], axis=1)", (2, 3)),
        case("np.repeat(x, [2, 1, 1, 0, 3, 1])", (2, 3)),
        case("np.repeat(x, [2], axis=0)", (3,)),
        case("np.repeat(x, 4)", F),
        case("x.repeat(2)", (3,)),
        case("x.repeat([1, 3], axis=0)", (2, 2)),
    ],
    "numpy.take": [
        case("np.take(x, [0, 2, 0, 0])", (4,)),  # repeated indices add up
        case("np.take(x, [4, 1, 4])", (2, 3)),  # flattened
        case("np.take(x, 1, axis=1)", (2, 3)),
        case("np.take(x, [2, -1, 0], axis=-1) * y", (2, 3), (3,)),
        case("np.take(x, [[0, 1], [1, 1]], axis=0)", (2, 3)),
        case("np.take(x, [3, -4, 5], axis=1, mode='wrap')", (2, 3)),
        case("np.take(x, [7, -2, 1], mode='clip')", (3,)),
        case("x.take([1, 1, 0])", (3,)),
        case("x.take([0, 0], axis=1)", (2, 3)),
    ],
    "numpy.take_along_axis": [
        case("np.take_along_axis(x, np.argsort(x, axis=1), axis=1)", (2, 3), x=distinct),
        case("np.take_along_axis(x, np.argsort(y, axis=0), axis=0) * y", (3, 2), (3, 2), y=distinct),
        case("i = np.argmax(x, axis=-1)[:, None]\nreturn np.take_along_axis(x, i, axis=-1)", (2, 4), x=distinct),
        case("i = np.argsort(x)\nreturn np.take_along_axis(x, i[..., :1], -1) * x", (2, 3), x=distinct),
        case("i = np.argmax(x, axis=1, keepdims=True)\nj = np.concatenate([i, i], axis=1)\n"
             "return np.take_along_axis(x, j, 1) * y", (2, 3), (2, 2), x=distinct),  # each maximum used twice
        case("np.take_along_axis(x, np.argsort(x, axis=None), axis=None)", (2, 3), x=distinct),
    ],
    "numpy.select": [
        case("np.select([x > 0, x < 0], [x, 2.0 * x])", (2, 3), x=away_from_zero),  # both branches
        case("np.select([x > 1.0, x < -1.0], [x ** 2, y], default=x * y)", (2, 3), (3,), x=away_from_bounds),
        case("np.select([x > 0], [y], default=x)", (2, 3), (2, 1), x=away_from_zero),
        case("np.select([x > 0, x > -1.0], [y, x], 1.0)", (3,), (), x=away_from_bounds),
        case("np.select([w > 0, w < 0], [x, y], default=-1.0)", (2, 3), (2, 3), (3,),
             names="w, x, y", w=away_from_zero),
        case("np.select([w > 0], [x])", (2, 3), (2, 3), names="w, x", w=away_from_zero),  # default 0
        case("np.select([x > 0, x > 0], [y, x])", (4,), (4,), x=away_from_zero),  # the first one wins
        case("np.select([x > 0], [1.0], default=x)", (2, 3), x=away_from_zero),  # constant choices
        case("np.select([x > 0, x < -1.0], [y, 2.0], default=3.0)", (2, 3), (3,), x=away_from_bounds),
    ],
    "numpy.choose": [
        case("np.choose(np.array([0, 1, 1, 0]), [x, y])", (4,), (4,)),
        case("np.choose((w > 0) * 1, [x, y])", (2, 3), (3,), (2, 3), names="x, y, w", w=away_from_zero),
        case("np.choose(np.array([[0, 2, 1]]), (x, 2.0 * x, y))", (2, 3), ()),
        case("np.choose(np.array([2, 0, 1]), x)", (3, 3)),  # the choices as the rows of an array
        case("np.choose(np.array([3, -1, 1]), [x, y], mode='wrap')", (3,), (3,)),
        case("np.choose(np.array([5, -2, 0]), [x, y, x * y], mode='clip')", (3,), (3,)),
        case("np.choose(np.array([0, 1, 0]), [x, 0.5])", (3,)),
    ],
    "numpy.pad": [
        case("np.pad(x, 1)", (3,)),
        case("np.pad(x, (1, 2))", (2, 3)),
        case("np.pad(x, ((0, 1), (2, 0)))", (2, 3)),
        case("np.pad(x, ((1, 2),), constant_values=5.0)", (2, 3)),
        case("np.pad(x, (2,), mode='constant') * y", (2,), (6,)),
        case("np.pad(x, pad_width=1, mode='constant', constant_values=(1.0, 2.0))", (2, 2)),
    ],
}
