"""Cases for tangent_src/rules/containers.py: dict displays, d.get (the key there and not, a
differentiated default), d.copy and dict(d), a dict's values read back by key."""

from __future__ import annotations

from casekit import case

CASES = {
    "dict.setitem": [
        case("d = {}\nd['a'] = x\nd['b'] = x * y\nreturn d['a'] * d['b'] + y", (3,), (3,)),
        case("d = {'a': x}\nd['a'] = d['a'] * y\nd[-1] = y\nreturn np.sum(d['a']) * d[-1]", (2, 3), ()),
    ],
    "numpy.add.at": [
        case("y = x * 1.0\nnp.add.at(y, [0, 1, 0], w)\nreturn y * y", (3,), (), names="x, w"),
        case("y = x * 2.0\nnp.add.at(y, np.array([1, 1]), w)\nreturn y", (3, 2), (2,), names="x, w"),
    ],
    "dict.get": [
        case("d = {'a': x, 'b': y}\nreturn d.get('a') * d.get('b', 2.0)", (3,), (3,)),
        case("d = {'a': x}\nreturn d.get('b', y) * d.get('a', y)", (2, 3), (3,)),
        case("d = {'a': np.sin(x)}\nreturn np.sum(d.get('a', 0.0) ** 2)", (4,)),
    ],
    "dict.copy": [
        case("d = {'a': x}\ne = d.copy()\ne['b'] = y * x\nreturn e['a'] * e['b']", (3,), (3,)),
        case("d = {'a': x, 'b': 2.0}\ne = dict(d)\nreturn e['a'] * e['b'] + d['a']", (2, 3)),
    ],
}
