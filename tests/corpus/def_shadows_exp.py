x = 1.0


def exp(v):
    return v * 2


L = exp(x) + x
