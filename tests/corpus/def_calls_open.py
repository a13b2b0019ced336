x = 1.0


def f(v):
    open("pathgrad_pwned.txt", "w")
    return v


L = f(x) * 2
