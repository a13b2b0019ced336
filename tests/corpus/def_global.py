x = 1.0


def f(v):
    global x
    x = v
    return v


L = f(x) * 2
