"""Symbolic activation functions with textbook derivatives.

``sympy`` would write the logistic sigmoid as ``1/(1 + exp(-x))`` and its
derivative as a tangle of exponentials. Students learn it as
``sigmoid(x)*(1 - sigmoid(x))``, so ``sigmoid`` and ``relu`` are sympy
functions of their own whose derivatives read the way a textbook writes them.

>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> sigmoid(x).diff(x)
(1 - sigmoid(x))*sigmoid(x)
>>> relu(x).diff(x)
Heaviside(x, 0)
>>> sigmoid(0), relu(-3), relu(sympy.Rational(5, 2))
(1/2, 0, 5/2)

The derivative of ``relu`` is ``Heaviside(x, 0)``: the step with value 0 at
the kink, as PyTorch defines relu'(0) = 0.
"""

import sympy


class sigmoid(sympy.Function):
    """The logistic function 1 / (1 + exp(-x))."""

    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.S.Half

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.exp)._eval_evalf(prec)


class relu(sympy.Function):
    """The rectifier max(0, x), with relu'(0) = 0 as in PyTorch."""

    is_real = True

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_real:
            return arg if arg.is_positive else sympy.S.Zero
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return sympy.S.Zero

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return sympy.Max(0, arg)

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0])._eval_evalf(prec)


#: Names that ``sympy.sympify`` needs to read pathgrad's closed forms back.
SYMPY_NAMES = {"sigmoid": sigmoid, "relu": relu}
