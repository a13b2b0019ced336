x = 1.0


def f(v):
    def g(w):
        return w * v
    return g


L = f(x)(x)
