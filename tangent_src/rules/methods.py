"""Array methods and attributes, mapped to the primitives they mean.

`x.sum(axis=0)` is `np.sum(x, axis=0)`, `x.T` is the rule `ndarray.T`, and so on;
the generated code keeps the user's spelling.
"""

from .registry import array_attribute, array_method

for _name in ("sum", "mean", "max", "min", "dot", "clip"):
    array_method(_name, f"numpy.{_name}")
array_method("reshape", "numpy.reshape", pack_varargs="shape")
array_method("transpose", "numpy.transpose", pack_varargs="axes")
array_method("argmax", "numpy.argmax")
array_method("argmin", "numpy.argmin")

array_attribute("T", "ndarray.T")
array_attribute("shape", "ndarray.shape")
array_attribute("ndim", "ndarray.ndim")
array_attribute("size", "ndarray.size")
