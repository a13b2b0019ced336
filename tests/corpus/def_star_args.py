x = 1.0


def f(*args, **kwargs):
    return args[0]


L = f(x) * 2
