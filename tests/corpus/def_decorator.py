x = 1.0


@open
def f(v):
    return v


L = f(x) * 2
