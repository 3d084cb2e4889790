"""What the examples share: printing a section title, and quoting lines of the generated
code beside the textbook equation each one computes, checking that every quoted line is
still in the code tangent_src generates (an example fails when its quotes go stale).

Not an example itself: the other scripts import it (`python examples/NAME.py` puts this
folder on the import path).
"""


def section(title):
    print()
    print(title)
    print("-" * len(title))


def function_source(module_source, name):
    """The text of one `def name(...)` in the generated module ("" if there is none)."""
    if f"def {name}(" not in module_source:
        return ""
    start = module_source.index(f"def {name}(")
    end = module_source.find("\n\n\ndef ", start)
    return module_source[start:] if end < 0 else module_source[start:end]


def quote(body, lines):
    """Print each (line, meaning) pair, marking a line `body` no longer contains; return those lines."""
    width = max(len(line) for line, _ in lines)
    missing = []
    for line, meaning in lines:
        found = line in body
        missing += [] if found else [line]
        print(f"  {line:<{width}}   # {meaning}{'' if found else '   <-- NOT FOUND'}")
    return missing


def report_missing(missing, where):
    """Say which quoted lines are stale; True when none is."""
    for line in missing:
        print(f"FAILED: the generated code no longer contains {line!r}; update {where}")
    return not missing


# ---------------------------------------------------------------- the experiments' shared frame


def pyplot():
    """matplotlib.pyplot drawing to files only (the Agg backend), or None where matplotlib is not
    installed: the experiments print their tables and check their numbers without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save(fig, path):
    """Lay fig out, write it to path and free it; True (a plot was saved)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def experiment(results, table, plot, check, name):
    """What every experiment's main does with its results: print the table, save the plot (where
    matplotlib is installed) as name.png, then assert what the course says the numbers show."""
    print(table(results))
    if plot(results, f"{name}.png"):
        print(f"saved {name}.png")
    check(results)
    print("all checks passed")
    return 0
