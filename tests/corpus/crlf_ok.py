x = 1.0
w = 2.0
L = w * x
