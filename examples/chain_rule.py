"""The chain rule, read off generated code: f(x, y) = sin(x + y**2).

Run it with `python examples/chain_rule.py`. It prints the computational graph
of f, the derivative code tangent_src generates in reverse mode (ts.grad) and
forward mode (ts.jvp), says which chain-rule factor each generated line
computes, and checks the numbers against the derivative worked out by hand and
against central differences (ts.check_grad). It exits with status 1 if a check
fails.
"""

import sys

import numpy as np

import tangent_src as ts


def f(x, y):
    return np.sin(x + y**2)


GRAPH = """\
f(x, y) = sin(x + y**2) is a small computational graph, one operation per node:

    u = y**2         (square)
    v = x + u        (add)
    f = sin(v)       (sine)

tangent_src splits the expression the same way, one primitive per line; it
names u "t1", v "t2" and the result "out".

Chain rule:  df/dx = df/dv * dv/dx             = cos(v) * 1
             df/dy = df/dv * dv/du * du/dy     = cos(v) * 1 * 2y
"""

# Each line below is quoted from the generated code, with the chain-rule factor
# it computes. main() checks that every quoted line still appears in the
# generated code, so this walkthrough cannot silently go stale.
REVERSE_WALKTHROUGH = [
    ("t1 = y**2", "forward sweep: u = y**2"),
    ("t2 = x + t1", "forward sweep: v = x + u"),
    ("out = np.sin(t2)", "forward sweep: f = sin(v)"),
    ("bout = scalar_seed(out, \"f\")", "seed: df/df = 1 (and check that f is a scalar)"),
    ("bt2 = np.cos(t2) * bout", "df/dv = df/df * dsin(v)/dv = cos(v)"),
    ("bx = unbroadcast(bt2, like=x)", "df/dx = df/dv * dv/dx = cos(v) * 1"),
    ("bt1 = unbroadcast(bt2, like=t1)", "df/du = df/dv * dv/du = cos(v) * 1"),
    ("by = 2 * y * bt1", "df/dy = df/du * du/dy = cos(v) * 2y"),
]

FORWARD_WALKTHROUGH = [
    ("dt1 = 2 * y * dy", "du = du/dy * dy = 2y dy"),
    ("dt2 = dx + dt1", "dv = dx + du"),
    ("dout = np.cos(t2) * dt2", "df = cos(v) dv = cos(v) (dx + 2y dy)"),
]

NOTES = """\
Reverse mode runs the graph forwards, then walks it backwards from the result,
multiplying by one local derivative per node: one sweep gives df/dx and df/dy
together. Forward mode carries a tangent (dx, dy) along with each value: one
sweep gives the derivative along one direction; (1, 0) gives df/dx and (0, 1)
gives df/dy. unbroadcast(g, like=x) sums g back to x's shape when numpy
broadcast x in the addition; for scalars it returns g unchanged.
"""


def walkthrough(title, generated, quoted):
    """Print each quoted line with its chain-rule factor; return the lines missing from `generated`."""
    print(title)
    body = {line.strip() for line in generated.splitlines()}
    width = max(len(line) for line, _ in quoted)
    missing = []
    for line, meaning in quoted:
        print(f"    {line:<{width}}   # {meaning}")
        if line not in body:
            missing.append(line)
    print()
    return missing


def check(label, found, expected, failures, tolerance=1e-12):
    ok = abs(found - expected) <= tolerance * max(1.0, abs(expected))
    print(f"    {label:<40} {found: .15f}   expected {expected: .15f}   {'ok' if ok else 'FAILED'}")
    if not ok:
        failures.append(label)


def main():
    print(GRAPH)
    grad_f = ts.grad(f, wrt=(0, 1))
    jvp_f = ts.jvp(f, wrt=(0, 1))
    reverse_source = ts.source(grad_f)
    forward_source = ts.source(jvp_f)
    print("Reverse mode: ts.source(ts.grad(f, wrt=(0, 1)))\n")
    print(reverse_source)
    print("Forward mode: ts.source(ts.jvp(f, wrt=(0, 1)))\n")
    print(forward_source)

    missing = walkthrough("The reverse sweep, line by line:", reverse_source, REVERSE_WALKTHROUGH)
    missing += walkthrough("The forward sweep, line by line:", forward_source, FORWARD_WALKTHROUGH)
    print(NOTES)

    x, y = 0.7, -1.3
    v = x + y**2
    failures = []
    print(f"Checks at x = {x}, y = {y} (v = x + y**2 = {v}):")
    gx, gy = grad_f(x, y)
    check("grad: df/dx against cos(v)", gx, np.cos(v), failures)
    check("grad: df/dy against cos(v) * 2y", gy, np.cos(v) * 2 * y, failures)
    value, tx = jvp_f(x, y, 1.0, 0.0)
    check("jvp: f against sin(v)", value, np.sin(v), failures)
    check("jvp along (1, 0): df/dx", tx, np.cos(v), failures)
    _, ty = jvp_f(x, y, 0.0, 1.0)
    check("jvp along (0, 1): df/dy", ty, np.cos(v) * 2 * y, failures)
    for mode in ("reverse", "forward"):
        errors = ts.check_grad(f, (x, y), wrt=(0, 1), mode=mode)
        ok = max(errors) < 1e-6
        print(f"    check_grad, {mode + ' mode:':<29} largest relative error {max(errors):.1e} "
              f"vs central differences   {'ok' if ok else 'FAILED'}")
        if not ok:
            failures.append(f"check_grad {mode}")

    if missing:
        print("\nThe walkthrough quotes lines the generated code no longer contains:")
        for line in missing:
            print(f"    {line}")
        print("Update REVERSE_WALKTHROUGH / FORWARD_WALKTHROUGH in examples/chain_rule.py.")
    if failures or missing:
        print(f"\nFAILED: {len(failures)} numerical check(s), {len(missing)} stale walkthrough line(s)")
        return 1
    print("\nAll checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
