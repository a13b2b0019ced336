x = 1.0


def f(v):
    return f(v) * 2


L = f(x)
