x = 1.0
def f(v):
    return v * 2
L = f(x)
