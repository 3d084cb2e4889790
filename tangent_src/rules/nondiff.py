"""Non-differentiable primitives: their results carry no derivative.

Listing them is what makes an unknown function an error rather than a silent
zero: a call is differentiated only through a rule here or in the other tables.
"""

from .registry import nondiff

# comparisons and logic: piecewise constant
nondiff(
    "operator.lt", "operator.le", "operator.gt", "operator.ge", "operator.eq", "operator.ne",
    "operator.not_", "operator.floordiv", "operator.and_", "operator.or_", "operator.xor", "operator.invert",
    "numpy.less", "numpy.less_equal", "numpy.greater", "numpy.greater_equal",
    "numpy.equal", "numpy.not_equal", "numpy.logical_and", "numpy.logical_or",
    "numpy.logical_not",
)
# shapes and sizes: integers describing a value, not the value
nondiff("numpy.shape", "numpy.ndim", "numpy.size", "builtins.len")
# truth of all or any items: a boolean (`if any(v > 0 for v in x):`)
nondiff("builtins.any", "builtins.all")
nondiff("ndarray.shape", "ndarray.ndim", "ndarray.size")
# getattr(x, "shape", ()) and the like, with a default: the structure of a value that may be no array
nondiff("python.getattr_structure")
# piecewise constant functions: derivative zero wherever it exists
nondiff("numpy.sign", "numpy.floor", "numpy.ceil", "numpy.round", "numpy.argmax", "numpy.argmin")
nondiff("math.floor", "math.ceil", "builtins.round", "builtins.int", "builtins.range", "builtins.isinstance",
        "builtins.slice")
# array creation from shapes: constants
nondiff("numpy.zeros_like", "numpy.ones_like", "numpy.zeros", "numpy.ones")
# Python conversions and tests of values that are not numbers: a bool, a string, a type carry no
# derivative (float() is differentiable: conversions.py). A string made of a differentiated value
# (str(loss) in a message) is a constant; a number parsed back from it would be too.
nondiff("builtins.bool", "builtins.str", "builtins.repr", "builtins.type")
# numpy's integer scalar constructors truncate: piecewise constant, like int()
nondiff("numpy.int64", "numpy.int32")
# questions about types and dtypes, and what a dtype is: no derivative (np.finfo(x.dtype).eps)
nondiff("numpy.issubdtype", "numpy.iscomplexobj", "numpy.isrealobj", "numpy.finfo", "numpy.iinfo",
        "numpy.result_type")
