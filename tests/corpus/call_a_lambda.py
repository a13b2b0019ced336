x = 1.0
L = (lambda: x)()
