a = 1.0
b = 2.0
c = 3.0
L = max(a, b, c)
