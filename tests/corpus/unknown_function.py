x = 1.0
L = expp(x)
