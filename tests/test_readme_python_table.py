"""The README's "What Python is supported" tables, checked row by row (issue 11).

The section has two Markdown tables, Construct | Example | Notes: what is supported and what is
refused. Each row's Construct cell keys a program here (SUPPORTED, REFUSED); the rows of the README
and the keys here must be the same (a row added or removed on one side only fails), and every piece
of code in backticks in a row's Example cell must occur in its program, so the example shown is the
code run.

A supported row's program is differentiated by ts.grad and ts.jvp and checked, in float64 on random
inputs, against a central difference along a random direction (gradient . v and the tangent), by the
dot-product identity (gradient . v == tangent), for gradients shaped like their `wrt` values, and for
leaving the arguments as the program itself leaves them (a dict the caller passed gets the same
writes; no array of the caller's is changed). numpy's and Python's random states are seeded
identically before every evaluation, so a program that draws sees the same draws each time.

A refused row's program must raise a TransformError (not an InternalError) naming the program's
file:line:col, in both modes.
"""

from __future__ import annotations

import copy
import inspect
import random
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.errors import InternalError
from tests.helpers import make_function
from tests.realworld.harness import check_effects, effects, inner, leaves, random_tree, snapshot_of, tree_map

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "## What Python is supported"
STEP = 1e-6
FD_RTOL = 1e-6
DOT_RTOL = 1e-9
FUNCTIONS_WORK = "lands with issue 11 functions work"


@dataclass
class Program:
    """A module's source defining `f` (or, with `method`, a class whose method is differentiated on the
    object args[0]); `args(module, rng)` makes the arguments; `mutates` lists the arguments the program
    itself changes (a dict item or an attribute set); `xfail` marks a row that does not work yet."""

    source: str
    args: Callable[[Any, np.random.Generator], tuple]
    wrt: Any = 0
    method: str | None = None
    mutates: tuple = ()
    xfail: str | None = None

    def shown(self) -> str:
        """The code an Example cell may quote: the program, and how the test calls it."""
        call = f"ts.grad(model.{self.method}, wrt={self.wrt!r})" if self.method else f"ts.grad(f, wrt={self.wrt!r})"
        return self.source + "\n" + call.replace("'", '"')


def vec(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


# ------------------------------------------------------------------ the supported rows

SUPPORTED: dict[str, Program | tuple[Program, ...]] = {
    "Arithmetic and numpy calls": Program("""
def f(W, x):
    h = np.tanh(W @ x) ** 2
    return np.sum(np.exp(-h) / (1.0 + h)) + x.sum(axis=0) * 0.5 - np.linalg.norm(W)
""", lambda m, rng: (vec(rng, 3, 4), vec(rng, 4)), wrt=(0, 1)),

    "`if` / `elif` / `else`": Program("""
def f(x):
    s = np.sum(x)
    if s > 0:
        y = np.sin(x)
    elif s < -1:
        y = x ** 3
    else:
        y = x * s
    return np.sum(y ** 2)
""", lambda m, rng: (vec(rng, 4),)),

    "`for` loops": Program("""
def f(x, Ws):
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    for i, W in enumerate(Ws):
        h = h + i * (W @ x)
    for a, b in zip(h, x):
        h = h + a * b
    for row in Ws[0]:
        h = h * 0.9 + row[0]
    for t in reversed(range(2)):
        h = h * (t + 1.0)
    for c in (0.5, 2.0):
        h = h * c
    for i, (W, c) in enumerate(zip(Ws, (0.5, 2.0))):
        h = np.tanh(W @ h) * c + i
    return np.sum(h ** 2)
""", lambda m, rng: (vec(rng, 3), [vec(rng, 3, 3), vec(rng, 3, 3)]), wrt=(0, 1)),

    "`while`, `break`, `continue`": Program("""
def f(x):
    y = x
    n = 0
    while np.sum(y ** 2) < 50.0:
        n += 1
        if n % 2 == 0:
            continue
        y = y * 1.5
        if n > 20:
            break
    return np.sum(y)
""", lambda m, rng: (vec(rng, 3),)),

    "`return` anywhere": Program("""
def f(x):
    for i in range(5):
        if np.sum(x) > 10.0:
            return np.sum(x) * i
        x = x * 2.0
    return np.sum(np.sin(x))
""", lambda m, rng: (np.abs(vec(rng, 3)) + 0.5,)),

    "List comprehensions, generator expressions": Program("""
def f(layers, x):
    squares = [np.sum(W ** 2) for W, b in layers]
    total = sum(np.sum(p * x[0]) for layer in layers for p in layer if p.ndim == 1)
    return sum(squares) + total
""", lambda m, rng: ([(vec(rng, 3, 3), vec(rng, 3)), (vec(rng, 2, 3), vec(rng, 2))], vec(rng, 3)), wrt=(0, 1)),

    "Tuples and lists of arrays, unpacking": Program("""
class Cache:
    pass


def f(params, x, cache):
    (W1, b1), (W2, b2) = params
    h, cache.h = np.tanh(W1 @ x + b1), x * 2.0
    grads = {}
    grads["W"], rest = W2 * 2.0, [h, b2]
    a, b = rest
    joined = [h, x] + [x ** 2]
    twice = [np.sin(x)] * 2
    return np.sum(grads["W"] @ a) + np.sum(b * cache.h[:2]) + np.sum(joined[2] * twice[1])
""", lambda m, rng: ([(vec(rng, 3, 3), vec(rng, 3)), (vec(rng, 2, 3), vec(rng, 2))], vec(rng, 3), m.Cache()),
        wrt=(0, 1), mutates=(2,)),

    "Dict displays and item writes": Program("""
def f(x, W):
    cache = {}
    for t in range(3):
        cache[t] = np.tanh(x @ W * (t + 1))
    cache[-1] = x
    d = {"h": cache[2], "scale": 2.0, "name": "layer"}
    return sum(np.sum(cache[t] ** 2) for t in range(3)) + np.sum(cache[-1]) + np.sum(d["h"]) * d["scale"]
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 4)), wrt=(0, 1)),

    "Dict methods": Program("""
def f(x, W, p):
    eps = p.get("eps", 1e-5)
    if "scale" in p:
        x = x * p["scale"]
    params = dict(W=W, x=x)
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(value ** 2)
    for name in params.keys():
        total = total + np.sum(params[name])
    for name in params:
        total = total + 0.5 * np.sum(params[name] ** 3)
    for name, value in sorted(params.items()):
        total = total + np.sum(value) * len(name)
    for name in p:  # a dict argument: its keys
        if name.startswith("s"):
            total = total + p[name] * np.sum(x)
    total = total + sum(np.sum(v) for v in params.values())
    e = params.copy()
    e["x"] = e["x"] * 3.0
    h = e.setdefault("h", np.tanh(x))
    e.update(scale=2.0)
    other = {"shift": 0.5}
    e.update(other)
    return total + np.sum(e["x"] * h + e["shift"]) * e["scale"] / (1.0 + eps)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 4), {"eps": 0.1, "scale": 3.0}), wrt=(0, 1)),

    "A dict the caller passed": Program("""
def f(x, gamma, bn_param):
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1], dtype=x.dtype))
    mean = x.mean(axis=0)
    out = gamma * (x - mean)
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
    return np.sum(out ** 2)
""", lambda m, rng: (vec(rng, 4, 3), vec(rng, 3), {"momentum": 0.5}), wrt=(0, 1), mutates=(2,)),

    "Keys built from strings": Program("""
def f(x):
    params = {}
    for i in range(3):
        params[f"W{i}"] = x * (i + 1)
        params["b%d" % i] = x + i
        params["c" + str(i)] = x * x
    loss = 0.0
    for i in range(3):
        loss = loss + np.sum(params["W" + str(i)] * params[f"b{i}"]) + np.sum(params["c%d" % i])
    return loss
""", lambda m, rng: (vec(rng, 3),)),

    "`is`, `is not`, `in`, `not in`": Program("""
def f(x, b=None, y=None, mode="train"):
    scores = x * 2.0
    if b is not None:
        scores = scores + b
    if mode not in ("train", "test"):
        scores = scores * 0.0
    if "r" in mode:
        scores = scores * 3.0
    if y is None:
        return np.sum(scores ** 2)
    return np.sum(scores)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3)), wrt=(0, 1)),

    "`and`, `or`": Program("""
def f(x, mask=None, limit=None):
    n = x.shape[0]
    if mask is not None and mask.shape[0] == n:
        x = x * mask
    if n > 100 or np.sum(x) > 1e6:
        x = x * 0.0
    scale = limit or 2.0
    w = None or x * scale
    return np.sum(w ** 2)
""", lambda m, rng: (vec(rng, 3),)),

    "Chained comparisons": Program("""
def f(x):
    y = x * 1.0
    if 0.0 < np.abs(x[0]) < 10.0:
        y = y * 3.0
    return np.sum(y ** 2)
""", lambda m, rng: (vec(rng, 3),)),

    "Conditional expressions": Program("""
def f(x):
    s = np.sum(x)
    y = np.sin(x) if s > 0 else np.cos(x)
    return np.sum(y * x)
""", lambda m, rng: (vec(rng, 3),)),

    "f-strings": Program("""
def f(x, mode="train"):
    loss = np.sum(x ** 2)
    label = f"{mode}-{x.shape[0]}"
    message = f"loss {loss:.3f} for {label!r}"
    return loss * len(label) + 0.0 * len(message)
""", lambda m, rng: (vec(rng, 3),)),

    "Conversions and queries of values": Program("""
def f(x, xs, eps=1e-5, flag=1):
    n = int(x.shape[0] / 2)
    e = float(eps)
    on = bool(flag)
    name = str(n)
    scale = 2.0 if isinstance(e, float) else 1.0
    return np.sum(x[:n] ** 2) * scale * len(xs) * on / (1.0 + e) + len(name)
""", lambda m, rng: (vec(rng, 4), [1, 2, 3])),

    "`.dtype`": Program("""
def f(x):
    y = x.astype(x.dtype, copy=False)
    z = np.zeros(x.shape, dtype=x.dtype)
    return np.sum((y + z) ** 2)
""", lambda m, rng: (vec(rng, 3),)),

    "`print`, `assert`, `raise`": Program("""
def f(x, mode="train"):
    loss = np.sum(x ** 2)
    assert x.ndim == 1, "x must be a vector"
    if mode != "train":
        raise ValueError(f"Invalid mode {mode!r}")
    print("loss", loss)
    return loss
""", lambda m, rng: (vec(rng, 3),)),

    "Chained assignment": Program("""
def f(x):
    a = b = np.sin(x)
    c = d = 2.0
    return np.sum(a * b) * c + d
""", lambda m, rng: (vec(rng, 3),)),

    "Lists as stacks and queues": Program("""
def f(x, W):
    stack = []
    for i in range(3):
        stack.append(np.tanh(x) * (i + 1.0))
    queue = [W @ x, x]
    first = queue.pop(0)
    total = np.sum(first ** 2)
    grown = [*stack, x * 2.0]
    while stack:
        top = stack.pop()
        total = total + np.sum(top * x)
    return total + np.sum(grown[-1] * grown[0])
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3)), wrt=(0, 1)),

    "Masks with `&`, `^`, `~`": Program("""
def f(x):
    mask = (x > 0.0) & (x < 1.5)
    mask |= x > 2.0
    keep = ~np.isnan(x)
    odd = (x > 0.0) ^ (x > 1.0)
    return np.sum(np.where(mask & keep, x ** 2, np.sin(x))) + np.sum(np.where(odd, x, 0.0))
""", lambda m, rng: (vec(rng, 6),)),

    "Strings over several lines": Program("""
def f(x):
    if x.shape[0] > 100:
        raise ValueError("too many " f"rows: {x.shape[0]}")
    label = ("a loss "
             "over rows")
    print(label, f"{np.sum(x):.2f}" " done")
    return np.sum(x ** 3)
""", lambda m, rng: (vec(rng, 3),)),

    "Augmented assignment": Program("""
def f(x, W):
    loss = 0.0
    h = W @ x
    h *= 2.0
    h -= x[0]
    loss += np.sum(h ** 2)
    loss /= 3.0
    return loss
""", lambda m, rng: (vec(rng, 4), vec(rng, 3, 4)), wrt=(0, 1)),

    "Writes into arrays the function made": Program("""
def f(x, W):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * W[i, 0]
        y[i] += x[i] ** 2
    dW = np.zeros_like(W)
    for j in range(W.shape[1]):
        dW[:, j] += W[:, j] * y[0]
    return np.sum(y ** 2) + np.sum(dW * W)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 2)), wrt=(0, 1)),

    "Writes into an array the caller passed": Program("""
def f(x):
    x[0] = 0.0
    return np.sum(x ** 2)
""", lambda m, rng: (vec(rng, 3),), mutates=(0,)),

    "`*args` and `**kwargs` in calls": Program("""
def saxpy(a, b, c):
    return a * b + c


def f(x):
    shape = (2, 2)
    y = x.reshape(*shape)
    noise = np.random.rand(*x.shape)
    abc = (x, 2.0, np.sin(x))
    kw = {"a": x, "b": noise}
    kw["c"] = x ** 2
    return np.sum(y @ y) + np.sum(noise * x) + np.sum(saxpy(*abc)) + np.sum(saxpy(**kw))
""", lambda m, rng: (vec(rng, 4),)),

    "`map`, `list`, `tuple`": Program("""
def f(X):
    square = lambda v: v ** 2
    rows = list(X)
    return np.sum(list(map(square, [X[0], X[1] * 2]))[1]) + np.sum(np.stack(tuple(rows)) * rows[2])
""", lambda m, rng: (vec(rng, 3, 4),)),

    "Imports in the function": Program("""
def f(x):
    import math
    from numpy.linalg import norm
    return math.pi * norm(x) + math.sqrt(2.0) * np.sum(x)
""", lambda m, rng: (vec(rng, 4),)),

    "Attributes of objects": Program("""
class Config:
    def __init__(self):
        self.reg = 0.1
        self.scale = 2.0


def f(x, cfg):
    h = np.tanh(x) * cfg.scale
    cfg.last = h
    cfg.calls = getattr(cfg, "calls", 0) + 1
    return np.sum(cfg.last ** 2) + cfg.reg * np.sum(x ** 2)
""", lambda m, rng: (vec(rng, 3), m.Config()), mutates=(1,)),

    "One-line suites": Program("""
def f(x, verbose=False):
    y = x * 2.0
    if verbose: print(np.sum(y))
    for i in range(2): y = np.sin(y)
    return np.sum(y)
""", lambda m, rng: (vec(rng, 3),)),

    "Your functions calling each other": Program("""
from user_helpers import layer, squash


def affine(x, W, b):
    return W @ x + b


def f(x, W, b):
    h = np.tanh(affine(x, W, b))
    return np.sum(squash(h)) + np.sum(layer(h, W, b, act="softplus"))
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3), vec(rng, 3)), wrt=(0, 1, 2)),

    "Nested `def`s, lambdas, closures": (Program("""
def f(x, scale):
    def act(z):
        return np.tanh(z * scale)

    square = lambda z: z ** 2
    return np.sum(square(act(x))) + np.sum(act(x * 2.0))
""", lambda m, rng: (vec(rng, 3), 1.5), wrt=(0, 1)), Program("""
f = lambda x, W: np.sum(np.tanh(W @ x) ** 2)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3)), wrt=(0, 1))),

    "Functions passed as arguments": (Program("""
def squared_error(x, data):
    return np.sum((x - data) ** 2)


def f(x, data, loss_fn):
    return loss_fn(x, data) + 0.1 * np.sum(x ** 2)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3), m.squared_error)), Program("""
def f(x, act):
    return np.sum(act(x) ** 2)
""", lambda m, rng: (vec(rng, 3), np.tanh)), Program("""
def relu(z):
    return np.maximum(z, 0.0)


def layer(x, W, act):
    return act(W @ x)


def f(x, W):
    return np.sum(layer(x, W, relu) ** 2)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3)), wrt=(0, 1)), Program("""
def layer(x, W, act):
    return act(W @ x)


def f(x, W):
    return np.sum(layer(x, W, act=np.tanh) ** 2)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3)), wrt=(0, 1), xfail=FUNCTIONS_WORK)),

    "`functools.partial`": (Program("""
import functools


def weighted_loss(w, x, scale):
    return scale * np.sum(np.tanh(w * x) ** 2)


f = functools.partial(weighted_loss, scale=1.5)
""", lambda m, rng: (vec(rng, 3), vec(rng, 3)), wrt=(0, 1)), Program("""
import functools


def f(x, W):
    def affine(W, b, v):
        return v @ W + b

    step = functools.partial(affine, W, 1.0)
    return np.sum(np.tanh(step(x)) * step(x * 2))
""", lambda m, rng: (vec(rng, 3), vec(rng, 3, 3)), wrt=(0, 1))),

    "Bound methods": (Program("""
class Net:
    def __init__(self, params, reg=0.1):
        self.params = params
        self.reg = reg

    def scores(self, X):
        hidden = np.tanh(X @ self.params["W1"] + self.params["b1"])
        return hidden @ self.params["W2"]

    def loss(self, X, y):
        loss = 0.5 * np.sum((self.scores(X) - y) ** 2) / X.shape[0]
        loss += 0.5 * self.reg * np.sum(self.params["W1"] ** 2)
        return loss
""", lambda m, rng: (m.Net({"W1": vec(rng, 4, 5), "b1": vec(rng, 5), "W2": vec(rng, 5, 2)}), vec(rng, 3, 4),
                     vec(rng, 3, 2)), wrt="self.params", method="loss"), Program("""
class Net:
    def __init__(self, params):
        self.params = params

    def loss(self, X):
        return np.sum(np.tanh(X @ self.params["W"]) ** 2)
""", lambda m, rng: (m.Net({"W": vec(rng, 4, 2)}), vec(rng, 3, 4)), wrt=0, method="loss")),

    "Random draws": Program("""
def f(x, p=0.5):
    mask = (np.random.rand(*x.shape) < p) / p
    noise = random.gauss(0.0, 0.1)
    gen = np.random.default_rng(0)
    shift = gen.normal(0.0, 0.1, size=x.shape)
    return np.sum((x * mask + noise + shift) ** 2)
""", lambda m, rng: (vec(rng, 5),)),

    "Starred assignment": Program("""
def f(x, xs):
    first, *rest = x
    a, *mid, z = xs
    return first * 2.0 + np.sum(np.array(rest)) + np.sum(a * z) + sum(np.sum(m ** 2) for m in mid)
""", lambda m, rng: (vec(rng, 3), [vec(rng, 2), vec(rng, 2), vec(rng, 2)]), wrt=(0, 1)),

    "Objects made in the function": Program("""
class TwoLayerNet:
    def __init__(self, params, reg=0.0):
        self.params = params
        self.reg = reg

    def loss(self, X, y):
        hidden = np.maximum(0, X @ self.params["W1"])
        loss = 0.5 * np.sum((hidden @ self.params["W2"] - y) ** 2)
        return loss + 0.5 * self.reg * np.sum(self.params["W1"] ** 2)


def f(params, X, y):
    model = TwoLayerNet(params, reg=0.1)
    return model.loss(X, y)
""", lambda m, rng: ({"W1": vec(rng, 4, 5), "W2": vec(rng, 5, 2)}, vec(rng, 3, 4), vec(rng, 3, 2))),

    "Methods that store results on their object": Program("""
class Dense:
    def __init__(self, W):
        self.W = W

    def forward(self, inputs):
        self.output = inputs @ self.W


class ReLU:
    def forward(self, inputs):
        self.output = np.maximum(0, inputs)


class Net:
    def __init__(self, W1, W2):
        self.dense1, self.relu1, self.dense2 = Dense(W1), ReLU(), Dense(W2)

    def loss(self, X):
        dense1, relu1 = self.dense1, self.relu1
        dense1.forward(X)
        relu1.forward(dense1.output)
        self.dense2.forward(relu1.output)
        self.h = np.tanh(self.dense2.output)
        return np.sum(self.h ** 2)
""", lambda m, rng: (m.Net(vec(rng, 3, 4), vec(rng, 4, 2)), vec(rng, 5, 3)), wrt=0, method="loss"),

    "Lists of layer objects": Program("""
class Dense:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        return np.tanh(x @ self.W)


class Model:
    def __init__(self, layers):
        self.layers = layers

    def loss(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        for i, layer in enumerate(reversed(self.layers)):
            x = layer.forward(x) * (i + 1) if i == 0 else x
        return np.sum(x ** 2)
""", lambda m, rng: (m.Model([m.Dense(vec(rng, 3, 3)), m.Dense(vec(rng, 3, 3))]), vec(rng, 2, 3)), wrt=0,
        method="loss"),

    "A dict the function made, written by your function": Program("""
def bn_forward(x, bn_param):
    momentum = bn_param.get("momentum", 0.9)
    if bn_param["mode"] == "train":
        mean = x.mean(axis=0)
        bn_param["running_mean"] = momentum * bn_param.get("running_mean", 0.0) + (1 - momentum) * mean
        return x - mean
    return x - bn_param["running_mean"]


def f(x, x_val):
    bn_param = {"mode": "train", "momentum": 0.5}
    out = bn_forward(x, bn_param)
    bn_param["mode"] = "test"
    out_val = bn_forward(x_val, bn_param)
    return np.sum(out ** 2) + np.sum(np.sin(out_val))
""", lambda m, rng: (vec(rng, 4, 3), vec(rng, 2, 3))),

    "In-place updates of the items of a display": Program("""
def f(x, y):
    dW, db = x * 3.0, np.sin(y)
    for dparam in [dW, db]:
        np.clip(dparam, -5, 5, out=dparam)
    for g in (dW, db):
        g *= 0.5
    return np.sum(dW * db)
""", lambda m, rng: (vec(rng, 4) * 2, vec(rng, 4))),

    "Dicts, lists and tuples as `wrt`": Program("""
def f(params, layers, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)
""", lambda m, rng: ({"W1": vec(rng, 3, 4), "b1": vec(rng, 4)}, [(vec(rng, 4, 2), vec(rng, 2))], vec(rng, 3)),
        wrt=("params", "layers")),
}


# ------------------------------------------------------------------ the refused rows

REFUSED: dict[str, Program | tuple[Program, ...]] = {
    "`try` / `except`": Program("""
def f(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)
""", lambda m, rng: (np.abs(vec(rng, 3)) + 0.5,)),

    "`with`": Program("""
def f(x):
    with np.errstate(divide="ignore"):
        y = np.log(x)
    return np.sum(y)
""", lambda m, rng: (np.abs(vec(rng, 3)) + 0.5,)),

    "`global`, `nonlocal`": (Program("""
COUNT = 0


def f(x):
    global COUNT
    COUNT = COUNT + 1
    return np.sum(x ** 2)
""", lambda m, rng: (vec(rng, 3),)), Program("""
def f(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + np.sum(v)
        return total

    return add(x)
""", lambda m, rng: (vec(rng, 3),))),

    "`del`": Program("""
def f(x):
    y = x * 2.0
    del y
    return np.sum(x)
""", lambda m, rng: (vec(rng, 3),)),

    "Set displays": Program("""
def f(x):
    seen = {1, 2}
    return np.sum(x) * len(seen)
""", lambda m, rng: (vec(rng, 3),)),

    "Assignment expressions": Program("""
def f(x):
    if (n := x.shape[0]) > 2:
        x = x * n
    return np.sum(x)
""", lambda m, rng: (vec(rng, 3),)),

    "`match`": Program("""
def f(x, mode="a"):
    match mode:
        case "a":
            y = x * 2.0
        case _:
            y = x
    return np.sum(y)
""", lambda m, rng: (vec(rng, 3),)),

    "Generators": Program("""
def f(x):
    def rows(a):
        for r in a:
            yield r * 2.0

    return sum(np.sum(r) for r in rows(x))
""", lambda m, rng: (vec(rng, 3, 2),)),

    "`*args`, `**kwargs` parameters": (Program("""
def f(x, *rest):
    return np.sum(x ** 2) * len(rest)
""", lambda m, rng: (vec(rng, 3),)), Program("""
def f(x, **options):
    return np.sum(x ** 2) * options.get("scale", 1.0)
""", lambda m, rng: (vec(rng, 3),))),

    "A nested function or lambda passed on to a helper": (Program("""
def layer(x, act):
    return act(x)


def f(x):
    def square(z):
        return z ** 2

    return np.sum(layer(x, square))
""", lambda m, rng: (vec(rng, 3),)), Program("""
def layer(x, act):
    return act(x)


def f(x):
    return np.sum(layer(x, lambda z: z ** 2))
""", lambda m, rng: (vec(rng, 3),))),

    "Classes defined in the function": Program("""
def f(x):
    class Layer:
        scale = 2.0

    return np.sum(x * Layer.scale)
""", lambda m, rng: (vec(rng, 3),)),

    "Recursion": Program("""
def fact(x, n):
    if n == 0:
        return x
    return fact(x * n, n - 1)


def f(x):
    return np.sum(fact(x, 3))
""", lambda m, rng: (vec(rng, 3),)),


}


# ------------------------------------------------------------------ the README's tables


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def readme_section() -> str:
    """The text of the README's section, up to the next `## ` heading ('' where there is none)."""
    text = README.read_text(encoding="utf-8")
    return text.split(HEADING, 1)[1].split("\n## ", 1)[0] if HEADING in text else ""


def readme_tables() -> list[dict[str, str]]:
    """The tables of the README's section, in order: Construct -> Example cell, for each."""
    tables: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in readme_section().splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = _cells(line)
        if current is None:
            assert cells[:2] == ["Construct", "Example"], f"a table's header is {cells}"
            current = {}
            tables.append(current)
        elif not set(line) <= set("|-: "):
            assert cells[0] not in current, f"the row {cells[0]!r} appears twice"
            current[cells[0]] = cells[1]
    return tables


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


TABLES = readme_tables()
SUPPORTED_ROWS = TABLES[0] if TABLES else {}
REFUSED_ROWS = TABLES[1] if len(TABLES) > 1 else {}


def test_the_section_has_the_two_tables_and_says_where_to_report_a_bug():
    section = readme_section()
    assert section, f"README.md has no section {HEADING!r}"
    assert len(TABLES) == 2, "the section holds two tables: supported, and refused"
    assert "issue tracker" in section and "InternalError" in section


@pytest.mark.parametrize("rows, programs", [(SUPPORTED_ROWS, SUPPORTED), (REFUSED_ROWS, REFUSED)],
                         ids=["supported", "refused"])
def test_every_row_has_a_program_and_every_program_a_row(rows, programs):
    assert sorted(rows) == sorted(programs), (
        f"README rows without a program here: {sorted(set(rows) - set(programs))}; "
        f"programs here without a README row: {sorted(set(programs) - set(rows))}")


def programs_of(entry: Program | tuple[Program, ...] | None) -> tuple[Program, ...]:
    return entry if isinstance(entry, tuple) else (entry,) if entry is not None else ()


@pytest.mark.parametrize("construct", sorted({**SUPPORTED_ROWS, **REFUSED_ROWS}))
def test_each_example_is_code_its_programs_run(construct):
    example = {**SUPPORTED_ROWS, **REFUSED_ROWS}[construct]
    programs = programs_of({**SUPPORTED, **REFUSED}.get(construct))
    assert programs, f"the README row {construct!r} has no program in this test"
    spans = re.findall(r"`([^`]+)`", example)
    assert spans, f"the row {construct!r} shows no code"
    shown = _squeeze("\n".join(program.shown() for program in programs))
    for span in spans:
        assert _squeeze(span) in shown, f"the example `{span}` of {construct!r} is not in its programs"


# ------------------------------------------------------------------ running a program


def seed_random() -> None:
    np.random.seed(1234)
    random.seed(1234)


def load(program: Program) -> Any:
    """The module make_function writes for the program (its `f`, or its class for a method)."""
    name = re.search(r"^class (\w+)", program.source, re.M).group(1) if program.method else "f"
    f = make_function(textwrap.dedent(program.source), name)
    return sys.modules[getattr(f, "func", f).__module__]  # a functools.partial's module is its function's


def target(program: Program, module: Any, args: tuple) -> tuple[Callable, tuple]:
    """(what is differentiated, its arguments): module.f, or the bound method of args[0]."""
    if program.method:
        return getattr(args[0], program.method), args[1:]
    return module.f, args


def wrt_items(program: Program, fn: Callable) -> list[tuple[str, Any]]:
    """Each wrt item as ("arg", index into the full argument tuple) or ("attr", name of args[0])."""
    names = list(inspect.signature(fn).parameters)
    shift = 1 if program.method else 0
    items = program.wrt if isinstance(program.wrt, tuple) else (program.wrt,)
    found = []
    for w in items:
        if isinstance(w, str) and w.startswith("self."):
            found.append(("attr", w[len("self."):]))
        else:
            found.append(("arg", shift + (w if isinstance(w, int) else names.index(w))))
    return found


def get_item(args: tuple, item: tuple[str, Any]) -> Any:
    kind, where = item
    return getattr(args[0], where) if kind == "attr" else args[where]


def moved(args: tuple, items: list, v: list, t: float) -> tuple:
    moved_args = list(copy.deepcopy(args))
    for (kind, where), d in zip(items, v):
        new = tree_map(lambda a, b: a + t * b, get_item(moved_args, (kind, where)), d)
        if kind == "attr":
            setattr(moved_args[0], where, new)
        else:
            moved_args[where] = new
    return tuple(moved_args)


def evaluate(program: Program, module: Any, args: tuple, how: Callable, what: str) -> Any:
    """how(fn, fn's arguments) on a deep copy of args, seeded; the copies must be left as the program
    itself leaves them (check_effects)."""
    copies = copy.deepcopy(args)
    snapshot = snapshot_of(copies)
    plain_copies = copy.deepcopy(args)
    plain_snapshot = snapshot_of(plain_copies)
    seed_random()
    fn, rest = target(program, module, plain_copies)
    fn(*rest)
    done = effects(plain_snapshot, leaves(plain_copies))
    seed_random()
    fn, rest = target(program, module, copies)
    result = how(fn, rest)
    mutates = (*program.mutates, *((0,) if program.method else ()))
    check_effects(done, snapshot, leaves(copies), what, mutates)
    return result


def check_supported(program: Program, seed: int = 0) -> None:
    module = load(program)
    rng = np.random.default_rng(seed)
    args = program.args(module, rng)
    fn, _ = target(program, module, args)
    items = wrt_items(program, fn)
    v = [random_tree(get_item(args, item), rng) for item in items]
    several = isinstance(program.wrt, tuple)

    def value_at(t: float) -> float:
        seed_random()
        fn, rest = target(program, module, moved(args, items, v, t))
        return float(fn(*rest))

    value = value_at(0.0)
    fd = (value_at(STEP) - value_at(-STEP)) / (2 * STEP)

    grads = evaluate(program, module, args, lambda fn, rest: ts.grad(fn, wrt=program.wrt)(*rest), "grad")
    grads = list(grads) if several else [grads]
    for g, item in zip(grads, items, strict=True):
        assert tree_map(np.shape, g) == tree_map(np.shape, get_item(args, item)), (
            f"the gradient for {item} is not shaped like it")
    along = sum(inner(g, d) for g, d in zip(grads, v))
    assert abs(along - fd) <= FD_RTOL * max(1.0, abs(fd)), f"grad . v = {along!r}, finite differences {fd!r}"

    tangents = tuple(copy.deepcopy(v))
    jvp_value, tangent = evaluate(program, module, args,
                                  lambda fn, rest: ts.jvp(fn, wrt=program.wrt)(*rest, *tangents), "jvp")
    assert abs(float(jvp_value) - value) <= 1e-12 * max(1.0, abs(value)), "jvp's value differs from the function's"
    assert abs(float(tangent) - fd) <= FD_RTOL * max(1.0, abs(fd)), f"jvp's tangent {tangent!r}, fd {fd!r}"
    scale = max(abs(along), abs(float(tangent)), 1e-12)
    assert abs(along - float(tangent)) <= DOT_RTOL * scale, f"dot-product test: {along!r} against {tangent!r}"


def _params(rows: dict[str, str], table: dict) -> list:
    """One test per program of each README row (a row without a program gets one that fails)."""
    params = []
    for construct in sorted(rows):
        programs = programs_of(table.get(construct))
        if not programs:
            params.append(pytest.param(construct, None, id=construct))
        for i, program in enumerate(programs):
            marks = [pytest.mark.xfail(strict=True, reason=program.xfail)] if program.xfail else []
            params.append(pytest.param(construct, program, marks=marks, id=f"{construct} [{i}]"))
    return params


@pytest.mark.parametrize("construct, program", _params(SUPPORTED_ROWS, SUPPORTED))
def test_a_supported_row_differentiates_in_both_modes(construct, program):
    assert program is not None, f"the README row {construct!r} has no program in this test"
    check_supported(program)


@pytest.mark.parametrize("construct, program", _params(REFUSED_ROWS, REFUSED))
def test_a_refused_row_is_refused_with_its_place(construct, program):
    assert program is not None, f"the README row {construct!r} has no program in this test"
    check_refused(program, re.findall(r"`([^`]+)`", REFUSED_ROWS[construct]))


def check_refused(program: Program, spans: list[str]) -> None:
    """Both modes raise a TransformError (not an InternalError) naming the program's file:line:col and
    quoting one of the row's examples (so that it is refused for that construct, not another)."""
    module = load(program)
    args = program.args(module, np.random.default_rng(0))
    fn, rest = target(program, module, args)
    filename = Path(module.__file__).name
    tangents = tuple(random_tree(a, np.random.default_rng(1)) for a in rest[:1])
    for name, call in (("grad", lambda: ts.grad(fn)(*copy.deepcopy(rest))),
                       ("jvp", lambda: ts.jvp(fn)(*copy.deepcopy(rest), *tangents))):
        with pytest.raises(ts.TransformError) as info:
            call()
        assert not isinstance(info.value, InternalError), f"{name}: an internal error: {info.value}"
        assert re.search(rf"{re.escape(filename)}:\d+:\d+", str(info.value)), (
            f"{name}: the refusal names no file:line:col: {info.value}")
        assert any(span in str(info.value) for span in spans), f"{name}: refused for another reason: {info.value}"
