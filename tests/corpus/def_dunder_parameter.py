x = 1.0


def f(__builtins__):
    return __builtins__


L = f(x) * 2
